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
    summary.shop_id,
    summary.audience
from {{ ref('rpt_audience_summary') }} as summary
left join counted
    on
        summary.shop_id = counted.shop_id
        and summary.audience = counted.audience
where
    summary.members <> coalesce(counted.members, 0)
    or summary.reachable_members <> coalesce(counted.reachable_members, 0)
    or summary.no_channel_members <> coalesce(counted.no_channel_members, 0)
    or summary.members - summary.members_day_before <> summary.members_entered - summary.members_left
