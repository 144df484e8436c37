-- The raw profile counts the same kept rows as the row reconciliation: per
-- table, kept_rows summed over shops = rpt_row_reconciliation.kept_rows (kept
-- rows always have a shop_id).
with

profile as (
    select
        table_name,
        sum(metric_value) as kept_rows
    from {{ ref('rpt_quality_raw_profile') }}
    where metric_name = 'kept_rows'
    group by table_name
),

reconciliation as (
    select * from {{ ref('rpt_row_reconciliation') }}
)

select
    reconciliation.table_name,
    reconciliation.kept_rows,
    profile.kept_rows as profile_kept_rows
from reconciliation
left join profile
    on reconciliation.table_name = profile.table_name
where coalesce(profile.kept_rows, 0) <> reconciliation.kept_rows
