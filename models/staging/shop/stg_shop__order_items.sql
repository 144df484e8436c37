-- One row per raw order_items row, typed, with its row_status and
-- rejection_reason from the row rules. Whether the order exists is checked in
-- int_order_items_validated (it needs a join).
with

source as (
    select * from {{ source('shop', 'order_items') }}
),

numbered as (
    select
        source.*,
        {{ member_analytics.copy_number('order_items') }} as copy_number,
        {{ member_analytics.source_record('order_items') }} as source_record
    from source
),

typed as (
    select
        {{ member_analytics.clean_text('numbered.shop_id') }} as shop_id,
        {{ member_analytics.clean_text('numbered.order_id') }} as order_id,
        {{ member_analytics.clean_text('numbered.product_id') }} as product_id,
        {{ member_analytics.typed_value('numbered.quantity', 'bigint') }} as quantity,
        {{ member_analytics.typed_value('numbered.unit_price', 'decimal(18, 2)') }} as unit_price,
        {{ member_analytics.typed_value('numbered.line_amount', 'decimal(18, 2)') }} as line_amount,
        (
            {{ member_analytics.clean_text('numbered.quantity') }} is null
            or {{ member_analytics.clean_text('numbered.unit_price') }} is null
        ) as has_missing_value,
        (
            {{ member_analytics.is_bad_value('numbered.quantity', 'bigint') }}
            or {{ member_analytics.is_bad_value('numbered.unit_price', 'decimal(18, 2)') }}
            or {{ member_analytics.is_bad_value('numbered.line_amount', 'decimal(18, 2)') }}
        ) as has_bad_type,
        numbered.copy_number,
        numbered.source_record
    from numbered
),

checked as (
    select
        *,
        case
            when shop_id is null or order_id is null or product_id is null then 'missing_key'
            when has_missing_value then 'missing_value'
            when has_bad_type then 'bad_type'
            when unit_price < 0 or line_amount < 0 then 'negative_amount'
            when quantity <= 0 then 'out_of_range'
        end as row_rejection_reason
    from typed
),

final as (
    select
        shop_id,
        order_id,
        product_id,
        {{ member_analytics.row_status_columns() }},
        source_record,
        quantity,
        unit_price,
        coalesce(line_amount, quantity * unit_price) as line_amount
    from checked
)

select * from final
