-- "How many members did contact fatigue protect today, per audience, and how
-- many of today's audience members sit in a holdout?" One row per shop and
-- audience with any of them: rows held back because the send log shows a
-- recent message or the weekly cap reached, and the holdout arm's rows.
select
    shop_id,
    audience,
    count(*) as members,
    sum(case when suppression_reason = 'recently_contacted' then 1 else 0 end) as recently_contacted,
    sum(case when suppression_reason = 'weekly_contact_cap' then 1 else 0 end) as weekly_cap_reached,
    sum(case when is_holdout then 1 else 0 end) as in_holdout
from {{ ref('fct_campaign_audiences') }}
group by shop_id, audience
having
    sum(case when suppression_reason in ('recently_contacted', 'weekly_contact_cap') then 1 else 0 end) > 0
    or sum(case when is_holdout then 1 else 0 end) > 0
order by shop_id asc, audience asc
