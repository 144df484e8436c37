-- One row per raw behavior_events row, typed, with its row_status and
-- rejection_reason. Events have no key: only exact copies are removed.
with

source as (
    select * from {{ source('shop', 'behavior_events') }}
),

numbered as (
    select
        source.*,
        {{ member_analytics.copy_number('behavior_events') }} as copy_number,
        {{ member_analytics.source_record('behavior_events') }} as source_record
    from source
),

typed as (
    select
        {{ member_analytics.clean_text('numbered.shop_id') }} as shop_id,
        {{ member_analytics.clean_text('numbered.member_id') }} as member_id,
        {{ member_analytics.clean_text('numbered.product_id') }} as product_id,
        {{ member_analytics.clean_text('numbered.session_id') }} as session_id,
        {{ member_analytics.clean_code('numbered.event_type') }} as event_type,
        {{ member_analytics.typed_value('numbered.occurred_at', 'timestamp') }} as occurred_at,
        {{ member_analytics.clean_text('numbered.occurred_at') }} is null as has_missing_value,
        {{ member_analytics.is_bad_value('numbered.occurred_at', 'timestamp') }} as has_bad_type,
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
                    'view', 'favorite', 'cart', 'favorite_shop', 'check_in', 'game', 'survey', 'vote', 'share'
                )
                then 'unknown_code'
            else {{ member_analytics.date_window_reason('occurred_at') }}
        end as row_rejection_reason
    from typed
),

final as (
    select
        shop_id,
        member_id,
        product_id,
        session_id,
        event_type,
        {{ member_analytics.row_status_columns() }},
        source_record,
        occurred_at
    from checked
)

select * from final
