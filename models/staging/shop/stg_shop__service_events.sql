-- One row per raw service_events row, typed, with its row_status and
-- rejection_reason. A non-empty event_id is a key: rows that share it conflict.
with

source as (
    select * from {{ source('shop', 'service_events') }}
),

numbered as (
    select
        source.*,
        {{ member_analytics.copy_number('service_events') }} as copy_number,
        {{ member_analytics.source_record('service_events') }} as source_record
    from source
),

typed as (
    select
        {{ member_analytics.clean_text('numbered.shop_id') }} as shop_id,
        {{ member_analytics.clean_text('numbered.event_id') }} as event_id,
        {{ member_analytics.clean_text('numbered.member_id') }} as member_id,
        {{ member_analytics.clean_text('numbered.order_id') }} as order_id,
        {{ member_analytics.clean_text('numbered.product_id') }} as product_id,
        {{ member_analytics.clean_code('numbered.event_type') }} as event_type,
        {{ member_analytics.typed_value('numbered.rating', 'bigint') }} as rating,
        {{ member_analytics.typed_value('numbered.occurred_at', 'timestamp') }} as occurred_at,
        {{ member_analytics.typed_value('numbered.resolved_at', 'timestamp') }} as resolved_at,
        {{ member_analytics.clean_text('numbered.occurred_at') }} is null as has_missing_value,
        (
            {{ member_analytics.is_bad_value('numbered.rating', 'bigint') }}
            or {{ member_analytics.is_bad_value('numbered.occurred_at', 'timestamp') }}
            or {{ member_analytics.is_bad_value('numbered.resolved_at', 'timestamp') }}
        ) as has_bad_type,
        numbered.copy_number,
        numbered.source_record
    from numbered
),

checked as (
    select
        *,
        case
            when shop_id is null or member_id is null then 'missing_key'
            when has_missing_value then 'missing_value'
            when has_bad_type then 'bad_type'
            when
                event_type is null
                or event_type not in (
                    'cancel', 'reject', 'return', 'exchange', 'complaint', 'review', 'suggestion', 'referral'
                )
                then 'unknown_code'
            when rating < 1 or rating > 5 then 'out_of_range'
            else {{ member_analytics.date_window_reason('occurred_at') }}
        end as row_rejection_reason
    from typed
),

keyed as (
    select
        *,
        case
            when event_id is not null
                then {{ member_analytics.candidates_per_key(['shop_id', 'event_id']) }}
            else 1
        end as candidates_with_key
    from checked
),

final as (
    select
        shop_id,
        event_id,
        member_id,
        order_id,
        product_id,
        event_type,
        {{ member_analytics.row_status_columns(key_conflict='candidates_with_key > 1') }},
        source_record,
        rating,
        occurred_at,
        resolved_at
    from keyed
)

select * from final
