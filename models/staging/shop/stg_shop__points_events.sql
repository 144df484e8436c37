-- One row per raw points_events row, typed, with its row_status and
-- rejection_reason. Repeated request_ids are kept here: the points ledger
-- counts a request once, its first row by time, then by the original values
-- (source_record, written for rejected rows and rows with a request_id).
-- Incremental on DuckDB (docs/decisions/0118): a build stages again only the keys
-- (a member's points events of one day) that new, changed or removed loads or the moving date window
-- touch, reading only the loads that hold them.
{{ config(materialized=member_analytics.incremental_materialization()) }}
{%- set loads = member_analytics.staging_loads(
    'points_events', 'occurred_at', this is not none and is_incremental(), this) %}

with

source as (
    select * from {{ source('shop', 'points_events') }}
    where {{ loads.source_filter }}
),

copies as (
    {{ member_analytics.raw_row_copies('points_events', by_load=true, load_locations=loads.versions.keys() | list) }}
),

cleaned as (
    select
        copies.*,
        {{ member_analytics.clean_text('raw_shop_id') }} as shop_id,
        {{ member_analytics.clean_text('raw_member_id') }} as member_id,
        {{ member_analytics.clean_text('raw_request_id') }} as request_id,
        {{ member_analytics.clean_code('raw_reason') }} as reason,
        {{ member_analytics.clean_text('raw_points') }} as points_text,
        {{ member_analytics.clean_text('raw_occurred_at') }} as occurred_at_text
    from copies
),

typed as (
    select
        *,
        {{ member_analytics.typed_value('points_text', 'bigint') }} as points,
        {{ member_analytics.typed_value('occurred_at_text', 'timestamp') }} as occurred_at,
        {{ member_analytics.staging_key_sql('points_events') }} as staging_key
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
            when occurred_at_text is null or points_text is null or reason is null then 'missing_value'
            when
                {{ member_analytics.is_bad_value('points') }}
                or {{ member_analytics.is_bad_value('occurred_at') }}
                then 'bad_type'
            when points = 0 then 'out_of_range'
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
        request_id,
        reason,
        row_status,
        rejection_reason,
        {{ member_analytics.rejected_source_record('points_events', also_when='request_id is not null') }} as source_record,
        points,
        occurred_at,
        staging_key,
        raw_load_location as load_location,
        {{ member_analytics.load_version_column(loads.versions) }} as load_version
    from statused
    {{ member_analytics.load_versions_join('statused', 'points_events', loads.versions) }}
)

select * from final
