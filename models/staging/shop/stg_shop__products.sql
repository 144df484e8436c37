-- One row per raw products row, typed, with its row_status and rejection_reason.
with

source as (
    select * from {{ source('shop', 'products') }}
),

numbered as (
    select
        source.*,
        {{ member_analytics.copy_number('products') }} as copy_number,
        {{ member_analytics.source_record('products') }} as source_record
    from source
),

typed as (
    select
        {{ member_analytics.clean_text('numbered.shop_id') }} as shop_id,
        {{ member_analytics.clean_text('numbered.product_id') }} as product_id,
        {{ member_analytics.clean_text('numbered.product_name') }} as product_name,
        {{ member_analytics.clean_text('numbered.category') }} as category,
        {{ member_analytics.clean_text('numbered.brand') }} as brand,
        {{ member_analytics.typed_value('numbered.list_price', 'decimal(18, 2)') }} as list_price,
        {{ member_analytics.typed_value('numbered.launched_at', 'timestamp') }} as launched_at,
        (
            {{ member_analytics.is_bad_value('numbered.list_price', 'decimal(18, 2)') }}
            or {{ member_analytics.is_bad_value('numbered.launched_at', 'timestamp') }}
        ) as has_bad_type,
        numbered.copy_number,
        numbered.source_record
    from numbered
),

checked as (
    select
        *,
        case
            when shop_id is null or product_id is null then 'missing_key'
            when has_bad_type then 'bad_type'
            when list_price < 0 then 'negative_amount'
        end as row_rejection_reason
    from typed
),

keyed as (
    select
        *,
        {{ member_analytics.candidates_per_key(['shop_id', 'product_id']) }} as candidates_with_key
    from checked
),

final as (
    select
        shop_id,
        product_id,
        product_name,
        category,
        brand,
        {{ member_analytics.row_status_columns(key_conflict='candidates_with_key > 1') }},
        source_record,
        list_price,
        launched_at
    from keyed
)

select * from final
