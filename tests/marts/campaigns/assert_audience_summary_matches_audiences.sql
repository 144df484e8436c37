-- rpt_audience_summary counts today's rows of fct_campaign_audiences exactly:
-- members, reachable members and each suppression reason per shop and audience.
with

counted as (
    select
        shop_id,
        audience,
        count(*) as members,
        sum(case when not is_suppressed then 1 else 0 end) as reachable_members,
        sum(case when suppression_reason = 'no_usable_channel' then 1 else 0 end) as no_channel_members
    from {{ ref('fct_campaign_audiences') }}
    group by shop_id, audience
)

select
    audience_summary.shop_id,
    audience_summary.audience
from {{ ref('rpt_audience_summary') }} as audience_summary
left join counted
    on
        audience_summary.shop_id = counted.shop_id
        and audience_summary.audience = counted.audience
where
    audience_summary.members <> coalesce(counted.members, 0)
    or audience_summary.reachable_members <> coalesce(counted.reachable_members, 0)
    or audience_summary.no_channel_members <> coalesce(counted.no_channel_members, 0)
    or audience_summary.members - audience_summary.members_day_before <> audience_summary.members_entered - audience_summary.members_left
