-- One row per raw service_events row, typed, with its row_status and
-- rejection_reason. A non-empty event_id is a key: rows that share it conflict.
-- The original values (source_record) are written for rejected rows and for
-- rows without an event_id (fct_service_events derives their id from them).
-- Incremental on DuckDB (docs/decisions/0118): a build stages again only the keys
-- (the rows of one event_id, or without one a member's events of one day) that new, changed or removed loads or the moving date window
-- touch, reading only the loads that hold them.
{{ config(materialized=member_analytics.incremental_materialization()) }}
{%- set loads = member_analytics.staging_loads(
    'service_events', 'occurred_at', this is not none and is_incremental(), this) %}

with

source as (
    select * from {{ source('shop', 'service_events') }}
    where {{ loads.source_filter }}
),

copies as (
    {{ member_analytics.raw_row_copies('service_events', by_load=true, load_locations=loads.versions.keys() | list) }}
),

cleaned as (
    select
        copies.*,
        {{ member_analytics.clean_text('raw_shop_id') }} as shop_id,
        {{ member_analytics.clean_text('raw_event_id') }} as event_id,
        {{ member_analytics.clean_text('raw_member_id') }} as member_id,
        {{ member_analytics.clean_text('raw_order_id') }} as order_id,
        {{ member_analytics.clean_text('raw_product_id') }} as product_id,
        {{ member_analytics.clean_code('raw_event_type') }} as event_type,
        {{ member_analytics.clean_text('raw_rating') }} as rating_text,
        {{ member_analytics.clean_text('raw_occurred_at') }} as occurred_at_text,
        {{ member_analytics.clean_text('raw_resolved_at') }} as resolved_at_text
    from copies
),

typed as (
    select
        *,
        {{ member_analytics.typed_value('rating_text', 'bigint') }} as rating,
        {{ member_analytics.typed_value('occurred_at_text', 'timestamp') }} as occurred_at,
        {{ member_analytics.typed_value('resolved_at_text', 'timestamp') }} as resolved_at,
        {{ member_analytics.staging_key_sql('service_events') }} as staging_key
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
            when shop_id is null or member_id is null then 'missing_key'
            when occurred_at_text is null then 'missing_value'
            when
                {{ member_analytics.is_bad_value('rating') }}
                or {{ member_analytics.is_bad_value('occurred_at') }}
                or {{ member_analytics.is_bad_value('resolved_at') }}
                then 'bad_type'
            when
                event_type is null
                or event_type not in (
                    'cancel', 'reject', 'return', 'exchange', 'complaint', 'review', 'suggestion', 'referral'
                )
                then 'unknown_code'
            when rating < 1 or rating > 5 then 'out_of_range'
            else {{ member_analytics.date_window_reason('occurred_at') }}
        end as row_rejection_reason
    from touched
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

statused as (
    select
        *,
        {{ member_analytics.row_status_columns(key_conflict='candidates_with_key > 1') }}
    from keyed
),

final as (
    select
        shop_id,
        event_id,
        member_id,
        order_id,
        product_id,
        event_type,
        row_status,
        rejection_reason,
        {{ member_analytics.rejected_source_record('service_events', also_when='event_id is null') }} as source_record,
        rating,
        occurred_at,
        resolved_at,
        staging_key,
        raw_load_location as load_location,
        {{ member_analytics.load_version_column(loads.versions) }} as load_version
    from statused
    {{ member_analytics.load_versions_join('statused', 'service_events', loads.versions) }}
)

select * from final
