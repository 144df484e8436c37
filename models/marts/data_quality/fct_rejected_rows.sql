-- One row per rejected raw row of any table: the table, the reason code and
-- the original values. Exact copies of a row are counted as duplicates, not
-- here, so (table_name, source_record) is unique.
with

{% set staged = {
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

rejected as (
    {% for table_name, relation in staged.items() %}
        select
            shop_id,
            '{{ table_name }}' as table_name,
            rejection_reason,
            source_record
        from {{ relation }}
        where row_status = 'rejected'
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        {{ dbt.hash("concat(table_name, '|', source_record)") }} as rejected_row_id,
        shop_id,
        table_name,
        rejection_reason,
        source_record
    from rejected
)

select * from final
