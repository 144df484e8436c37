-- One row per contract table: raw rows read, and how many were kept,
-- rejected, duplicate (exact copies) and superseded (older order versions).
-- raw_rows = kept_rows + rejected_rows + duplicate_rows + superseded_rows is
-- tested; kept rows are counted where the marts read them.
with

{% set tables = {
    'orders': ref('stg_shop__orders'),
    'order_items': ref('int_order_items_validated'),
    'members': ref('stg_shop__members'),
    'products': ref('stg_shop__products'),
    'behavior_events': ref('stg_shop__behavior_events'),
    'service_events': ref('stg_shop__service_events'),
    'points_events': ref('stg_shop__points_events'),
    'campaign_sends': ref('stg_shop__campaign_sends'),
    'campaign_assignments': ref('stg_shop__campaign_assignments'),
} %}

raw_counts as (
    {% for table_name in tables %}
        select
            '{{ table_name }}' as table_name,
            count(*) as raw_rows
        from {{ source('shop', table_name) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

status_counts as (
    {% for table_name, relation in tables.items() %}
        select
            '{{ table_name }}' as table_name,
            sum(case when row_status = 'kept' then 1 else 0 end) as kept_rows,
            sum(case when row_status = 'duplicate' then 1 else 0 end) as duplicate_rows,
            sum(case when row_status = 'superseded' then 1 else 0 end) as superseded_rows
        from {{ relation }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rejected_counts as (
    select
        table_name,
        count(*) as rejected_rows
    from {{ ref('fct_rejected_rows') }}
    group by table_name
),

raw_files as (
    select * from {{ source('shop', 'raw_files') }}
),

final as (
    select
        raw_counts.table_name,
        raw_files.source_format,
        cast(raw_counts.raw_rows as bigint) as raw_rows,
        cast(coalesce(status_counts.kept_rows, 0) as bigint) as kept_rows,
        cast(coalesce(rejected_counts.rejected_rows, 0) as bigint) as rejected_rows,
        cast(coalesce(status_counts.duplicate_rows, 0) as bigint) as duplicate_rows,
        cast(coalesce(status_counts.superseded_rows, 0) as bigint) as superseded_rows,
        raw_files.is_present
    from raw_counts
    left join status_counts
        on raw_counts.table_name = status_counts.table_name
    left join rejected_counts
        on raw_counts.table_name = rejected_counts.table_name
    left join raw_files
        on raw_counts.table_name = raw_files.table_name
)

select * from final
