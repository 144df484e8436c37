-- One row per raw campaign_assignments row (assignments to a campaign's
-- treatment or holdout arm made before this warehouse kept its own log:
-- imported from a messaging tool's control groups, or restored from an export
-- of fct_campaign_assignments), typed, with its row_status and
-- rejection_reason. A shop, member, audience and day is a key: rows that share
-- it with another arm conflict (docs/decisions/0123).
-- Incremental on DuckDB (docs/decisions/0118): a build stages again only the keys
-- (a member's assignments) that new, changed or removed loads or the moving date window
-- touch, reading only the loads that hold them.
{{ config(materialized=member_analytics.incremental_materialization()) }}
{%- set loads = member_analytics.staging_loads(
    'campaign_assignments', 'assigned_date', this is not none and is_incremental(), this) %}

with

source as (
    select * from {{ source('shop', 'campaign_assignments') }}
    where {{ loads.source_filter }}
),

copies as (
    {{ member_analytics.raw_row_copies('campaign_assignments', by_load=true, load_locations=loads.versions.keys() | list) }}
),

cleaned as (
    select
        copies.*,
        {{ member_analytics.clean_text('raw_shop_id') }} as shop_id,
        {{ member_analytics.clean_text('raw_member_id') }} as member_id,
        {{ member_analytics.clean_code('raw_audience') }} as audience,
        {{ member_analytics.clean_code('raw_arm') }} as arm,
        {{ member_analytics.clean_text('raw_assigned_date') }} as assigned_date_text
    from copies
),

typed as (
    select
        *,
        {{ member_analytics.typed_value('assigned_date_text', 'date') }} as assigned_date,
        {{ member_analytics.staging_key_sql('campaign_assignments') }} as staging_key
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
            when audience is null or assigned_date_text is null or arm is null then 'missing_value'
            when {{ member_analytics.is_bad_value('assigned_date') }} then 'bad_type'
            when arm not in ('treatment', 'holdout') then 'unknown_code'
            else {{ member_analytics.date_window_reason('assigned_date') }}
        end as row_rejection_reason
    from touched
),

keyed as (
    select
        *,
        {{ member_analytics.candidates_per_key(['shop_id', 'member_id', 'audience', 'assigned_date']) }}
            as candidates_with_key
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
        member_id,
        audience,
        assigned_date,
        arm,
        row_status,
        rejection_reason,
        {{ member_analytics.rejected_source_record('campaign_assignments') }} as source_record,
        staging_key,
        raw_load_location as load_location,
        {{ member_analytics.load_version_column(loads.versions) }} as load_version
    from statused
    {{ member_analytics.load_versions_join('statused', 'campaign_assignments', loads.versions) }}
)

select * from final
