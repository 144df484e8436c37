-- One row per shop, member, audience and day a build of this warehouse
-- evaluated (its as_of_date): the member's arm (treatment or holdout) and
-- whether the contact rules suppressed the row, appended by every build
-- (docs/decisions/0123). A build replaces its own day's rows and keeps every
-- other day's, a full refresh included (full_refresh: false): the log is the
-- record of who was held out, which no rebuild from raw data could restore.
{{ config(**member_analytics.day_log_config()) }}
with

audience_days as (
    select * from {{ ref('fct_campaign_audience_days') }}
    where is_as_of_date
),

final as (
    select
        shop_id,
        member_id,
        audience,
        message_kind,
        channel,
        arm,
        is_suppressed,
        suppression_reason,
        {{ member_analytics.as_of_date() }} as assignment_date
    from audience_days
)

select * from final
