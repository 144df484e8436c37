-- One row per raw points_events row, typed, with its row_status and
-- rejection_reason. Repeated request_ids are kept here: the points ledger
-- counts a request once.
with

source as (
    select * from {{ source('shop', 'points_events') }}
),

numbered as (
    select
        source.*,
        {{ member_analytics.copy_number('points_events') }} as copy_number,
        {{ member_analytics.source_record('points_events') }} as source_record
    from source
),

typed as (
    select
        {{ member_analytics.clean_text('numbered.shop_id') }} as shop_id,
        {{ member_analytics.clean_text('numbered.member_id') }} as member_id,
        {{ member_analytics.clean_text('numbered.request_id') }} as request_id,
        {{ member_analytics.clean_code('numbered.reason') }} as reason,
        {{ member_analytics.typed_value('numbered.points', 'bigint') }} as points,
        {{ member_analytics.typed_value('numbered.occurred_at', 'timestamp') }} as occurred_at,
        (
            {{ member_analytics.clean_text('numbered.occurred_at') }} is null
            or {{ member_analytics.clean_text('numbered.points') }} is null
            or {{ member_analytics.clean_text('numbered.reason') }} is null
        ) as has_missing_value,
        (
            {{ member_analytics.is_bad_value('numbered.points', 'bigint') }}
            or {{ member_analytics.is_bad_value('numbered.occurred_at', 'timestamp') }}
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
            when points = 0 then 'out_of_range'
            else {{ member_analytics.date_window_reason('occurred_at') }}
        end as row_rejection_reason
    from typed
),

final as (
    select
        shop_id,
        member_id,
        request_id,
        reason,
        {{ member_analytics.row_status_columns() }},
        source_record,
        points,
        occurred_at
    from checked
)

select * from final
