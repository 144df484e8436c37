-- One row per raw behavior_events row, typed, with its row_status and
-- rejection_reason; the original values of rejected rows; the load it came from.
-- Events have no key: only exact copies are removed (the copy in the earliest
-- load is the original). Incremental on DuckDB (docs/decisions/0118): a build
-- stages again only the keys (shop, member, day) that new, changed or removed
-- loads or the moving date window touch, reading only the loads that hold them.
{{ config(materialized=member_analytics.incremental_materialization()) }}
{%- set loads = member_analytics.staging_loads('behavior_events', 'occurred_at', this is not none and is_incremental(), this) %}

with

source as (
    select * from {{ source('shop', 'behavior_events') }}
    where {{ loads.source_filter }}
),

copies as (
    {{ member_analytics.raw_row_copies('behavior_events', by_load=true, load_locations=loads.versions.keys() | list) }}
),

cleaned as (
    select
        copies.*,
        {{ member_analytics.clean_text('raw_shop_id') }} as shop_id,
        {{ member_analytics.clean_text('raw_member_id') }} as member_id,
        {{ member_analytics.clean_text('raw_product_id') }} as product_id,
        {{ member_analytics.clean_text('raw_session_id') }} as session_id,
        {{ member_analytics.clean_code('raw_event_type') }} as event_type,
        {{ member_analytics.clean_text('raw_occurred_at') }} as occurred_at_text
    from copies
),

typed as (
    select
        *,
        {{ member_analytics.typed_value('occurred_at_text', 'timestamp') }} as occurred_at,
        {{ member_analytics.staging_key_sql('behavior_events') }} as staging_key
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
            when {{ member_analytics.is_bad_value('occurred_at') }} then 'bad_type'
            when
                event_type is null
                or event_type not in (
                    'view', 'favorite', 'cart', 'favorite_shop', 'check_in', 'game', 'survey', 'vote', 'share'
                )
                then 'unknown_code'
            else {{ member_analytics.date_window_reason('occurred_at') }}
        end as row_rejection_reason
    from touched
),

statused as (
    select
        *,
        {{ member_analytics.row_status_columns() }}
    from checked
),

final as (
    select
        shop_id,
        member_id,
        product_id,
        session_id,
        event_type,
        row_status,
        rejection_reason,
        {{ member_analytics.rejected_source_record('behavior_events') }} as source_record,
        occurred_at,
        staging_key,
        raw_load_location as load_location,
        {{ member_analytics.load_version_column(loads.versions) }} as load_version
    from statused
    {{ member_analytics.load_versions_join('statused', 'behavior_events', loads.versions) }}
)

select * from final
