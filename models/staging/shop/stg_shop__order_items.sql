-- One row per raw order_items row, typed, with its row_status and
-- rejection_reason: the row rules, then the order check (an item of an order
-- that is in no orders row is rejected as unknown_order, an item whose order has
-- no kept version as rejected_order); the original values of rejected rows.
-- The order check reads the orders' verdicts here, in staging, so that the
-- original values are written once, for the rejected rows only
-- (docs/decisions/0100). Incremental on DuckDB (docs/decisions/0118): a build
-- stages again only the orders' items that new, changed or removed loads touch,
-- and those whose order's verdict has changed, reading only the loads that hold
-- them.
{{ config(materialized=member_analytics.incremental_materialization()) }}
{#- items whose stored order verdict (kept, unknown_order, rejected_order) is no longer their order's -#}
{%- set order_changed -%}
    select items.staging_key
    from {{ this }} as items
    left join (
        select
            staging_key,
            max(case when row_status = 'kept' then 1 else 0 end) as has_kept_version
        from {{ ref('stg_shop__orders') }}
        where shop_id is not null and order_id is not null
        group by staging_key
    ) as order_verdicts
        on items.staging_key = order_verdicts.staging_key
    where
        items.row_status <> 'duplicate'
        and (items.rejection_reason is null or items.rejection_reason in ('unknown_order', 'rejected_order'))
        and coalesce(items.rejection_reason, 'kept') <> case
            when order_verdicts.staging_key is null then 'unknown_order'
            when order_verdicts.has_kept_version = 1 then 'kept'
            else 'rejected_order'
        end
{%- endset %}
{%- set loads = member_analytics.staging_loads(
    'order_items', none, this is not none and is_incremental(), this, more_keys=order_changed) %}

with

source as (
    select * from {{ source('shop', 'order_items') }}
    where {{ loads.source_filter }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

copies as (
    {{ member_analytics.raw_row_copies('order_items', by_load=true, load_locations=loads.versions.keys() | list) }}
),

cleaned as (
    select
        copies.*,
        {{ member_analytics.clean_text('raw_shop_id') }} as shop_id,
        {{ member_analytics.clean_text('raw_order_id') }} as order_id,
        {{ member_analytics.clean_text('raw_product_id') }} as product_id,
        {{ member_analytics.clean_text('raw_quantity') }} as quantity_text,
        {{ member_analytics.clean_text('raw_unit_price') }} as unit_price_text,
        {{ member_analytics.clean_text('raw_line_amount') }} as line_amount_text
    from copies
),

typed as (
    select
        *,
        {{ member_analytics.typed_value('quantity_text', 'bigint') }} as quantity,
        {{ member_analytics.typed_value('unit_price_text', 'decimal(18, 2)') }} as unit_price,
        {{ member_analytics.typed_value('line_amount_text', 'decimal(18, 2)') }} as line_amount,
        {{ member_analytics.staging_key_sql('order_items') }} as staging_key
    from cleaned
),

touched as (
    select * from typed
    where {{ loads.key_filter }}
),

checked as (
    select
        *,
        case
            when shop_id is null or order_id is null or product_id is null then 'missing_key'
            when quantity_text is null or unit_price_text is null then 'missing_value'
            when
                {{ member_analytics.is_bad_value('quantity') }}
                or {{ member_analytics.is_bad_value('unit_price') }}
                or {{ member_analytics.is_bad_value('line_amount') }}
                then 'bad_type'
            when unit_price < 0 or line_amount < 0 then 'negative_amount'
            when quantity <= 0 then 'out_of_range'
            when
                unit_price > {{ member_analytics.max_order_amount() }}
                or coalesce(line_amount, cast(quantity as decimal(38, 2)) * unit_price)
                > {{ member_analytics.max_order_amount() }}
                then 'out_of_range'
        end as row_rejection_reason
    from touched
),

order_keys as (
    select
        shop_id,
        order_id,
        max(case when row_status = 'kept' then 1 else 0 end) = 1 as has_kept_version
    from orders
    where shop_id is not null and order_id is not null
    group by shop_id, order_id
),

order_checked as (
    select
        checked.*,
        case
            when checked.copy_number > 1 or checked.row_rejection_reason is not null then null
            when order_keys.order_id is null then 'unknown_order'
            when not order_keys.has_kept_version then 'rejected_order'
        end as order_rejection_reason
    from checked
    left join order_keys
        on
            checked.shop_id = order_keys.shop_id
            and checked.order_id = order_keys.order_id
),

statused as (
    select
        *,
        case
            when copy_number > 1 then 'duplicate'
            when row_rejection_reason is not null or order_rejection_reason is not null then 'rejected'
            else 'kept'
        end as row_status,
        case
            when copy_number = 1 then coalesce(row_rejection_reason, order_rejection_reason)
        end as rejection_reason
    from order_checked
),

final as (
    select
        shop_id,
        order_id,
        product_id,
        row_status,
        rejection_reason,
        {{ member_analytics.rejected_source_record('order_items') }} as source_record,
        quantity,
        unit_price,
        coalesce(line_amount, quantity * unit_price) as line_amount,
        staging_key,
        raw_load_location as load_location,
        {{ member_analytics.load_version_column(loads.versions) }} as load_version
    from statused
    {{ member_analytics.load_versions_join('statused', 'order_items', loads.versions) }}
)

select * from final
