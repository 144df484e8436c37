-- "Which audiences lose the most members because we cannot reach them, and
-- what share is that?" One row per shop and audience with members flagged
-- no_usable_channel, largest first.
select
    shop_id,
    audience,
    channel,
    count(*) as members,
    sum(case when suppression_reason = 'no_usable_channel' then 1 else 0 end) as unreachable_members,
    cast(sum(case when suppression_reason = 'no_usable_channel' then 1 else 0 end) as double)
    / count(*) as unreachable_share
from {{ ref('fct_campaign_audiences') }}
group by shop_id, audience, channel
having sum(case when suppression_reason = 'no_usable_channel' then 1 else 0 end) > 0
order by unreachable_members desc, shop_id asc, audience asc
