-- One row per shop, member of dim_members and snapshot date: the lifecycle
-- stage at every month end from the month the member was first seen, and at
-- as_of_date (every member, as in fct_member_lifecycle; docs/decisions/0125).
-- The snapshot dates are int_member_evaluation_dates' history snapshots (the
-- month ends of int_months_spined, as_of_date for its own month) and as_of_date.
-- The stage and its rule are int_member_lifecycle_snapshots'; the as_of_date row
-- equals fct_member_lifecycle (tests/marts/member_value/lifecycle).
--
-- A view on DuckDB (docs/decisions/0133; a table on Spark, which recomputes every
-- build): int_member_lifecycle_snapshots stores the snapshots and a daily run
-- rewrites only the changed members' and the recent ones; as_of_date, the build's,
-- and is_as_of_date are the columns every row would otherwise change on every day
-- (from rpt_build_metadata, one row).
{{ config(materialized=member_analytics.history_view_materialization()) }}
with

snapshots as (
    select * from {{ ref('int_member_lifecycle_snapshots') }}
),

build as (
    select as_of_date from {{ ref('rpt_build_metadata') }}
),

final as (
    select
        snapshots.shop_id,
        snapshots.member_id,
        snapshots.lifecycle_stage,
        snapshots.stage_rule,
        snapshots.stage_order,
        snapshots.number_of_purchase_days,
        snapshots.purchase_days_in_loyal_window,
        snapshots.has_favorite_or_cart,
        snapshots.snapshot_date = build.as_of_date as is_as_of_date,
        snapshots.is_partial_month,
        snapshots.snapshot_date,
        build.as_of_date,
        snapshots.first_purchase_date,
        snapshots.first_favorite_or_cart_date,
        snapshots.previous_lifecycle_stage,
        snapshots.previous_stage_order,
        snapshots.previous_snapshot_date
    from snapshots
    cross join build
)

select * from final
