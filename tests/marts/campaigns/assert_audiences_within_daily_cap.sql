-- No member gets more unsuppressed messages in a day than the daily cap
-- (docs/decisions/0060), today or in the day-before evaluation.
select
    shop_id,
    member_id,
    evaluation_date,
    count(*) as unsuppressed_messages
from {{ ref('fct_campaign_audience_days') }}
where not is_suppressed
group by shop_id, member_id, evaluation_date
having count(*) > {{ member_analytics.audience_var('daily_message_cap') }}
