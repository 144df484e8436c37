-- One row per raw campaign_sends row (the shop's send log: one row per message
-- its messaging tool sent), typed, with its row_status and rejection_reason.
-- send_id is a key: rows that share it conflict. Audience codes and channels
-- are kept as written (a shop may also send campaigns of its own); fatigue
-- counts every send (docs/decisions/0123).
-- Incremental on DuckDB (docs/decisions/0118): a build stages again only the keys
-- (the rows of one send_id) that new, changed or removed loads or the moving date window
-- touch, reading only the loads that hold them.
{{ config(materialized=member_analytics.incremental_materialization()) }}
{%- set loads = member_analytics.staging_loads(
    'campaign_sends', 'sent_at', this is not none and is_incremental(), this) %}

with

source as (
    select * from {{ source('shop', 'campaign_sends') }}
    where {{ loads.source_filter }}
),

copies as (
    {{ member_analytics.raw_row_copies('campaign_sends', by_load=true, load_locations=loads.versions.keys() | list) }}
),

cleaned as (
    select
        copies.*,
        {{ member_analytics.clean_text('raw_shop_id') }} as shop_id,
        {{ member_analytics.clean_text('raw_send_id') }} as send_id,
        {{ member_analytics.clean_text('raw_member_id') }} as member_id,
        {{ member_analytics.clean_code('raw_audience') }} as audience,
        {{ member_analytics.clean_text('raw_offer') }} as offer,
        {{ member_analytics.clean_code('raw_channel') }} as channel,
        {{ member_analytics.clean_text('raw_sent_at') }} as sent_at_text
    from copies
),

typed as (
    select
        *,
        {{ member_analytics.typed_value('sent_at_text', 'timestamp') }} as sent_at,
        {{ member_analytics.staging_key_sql('campaign_sends') }} as staging_key
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
            when shop_id is null or send_id is null or member_id is null then 'missing_key'
            when audience is null or sent_at_text is null then 'missing_value'
            when {{ member_analytics.is_bad_value('sent_at') }} then 'bad_type'
            else {{ member_analytics.date_window_reason('sent_at') }}
        end as row_rejection_reason
    from touched
),

keyed as (
    select
        *,
        {{ member_analytics.candidates_per_key(['shop_id', 'send_id']) }} as candidates_with_key
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
        send_id,
        member_id,
        audience,
        offer,
        channel,
        row_status,
        rejection_reason,
        {{ member_analytics.rejected_source_record('campaign_sends') }} as source_record,
        sent_at,
        staging_key,
        raw_load_location as load_location,
        {{ member_analytics.load_version_column(loads.versions) }} as load_version
    from statused
    {{ member_analytics.load_versions_join('statused', 'campaign_sends', loads.versions) }}
)

select * from final
