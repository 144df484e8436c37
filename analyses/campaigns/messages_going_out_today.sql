-- "How many messages go out today per shop and channel, and how many are held
-- back, for which reason?" One row per shop and channel.
select
    shop_id,
    channel,
    sum(case when not is_suppressed then 1 else 0 end) as messages_to_send,
    sum(case when suppression_reason = 'marketing_opt_out' then 1 else 0 end) as held_opted_out,
    sum(case when suppression_reason = 'recent_complaint' then 1 else 0 end) as held_recent_complaint,
    sum(case when suppression_reason = 'no_usable_channel' then 1 else 0 end) as held_no_channel,
    sum(case when suppression_reason = 'daily_cap' then 1 else 0 end) as held_daily_cap
from {{ ref('fct_campaign_audiences') }}
group by shop_id, channel
order by shop_id, channel
