-- "Which gold and diamond members have a birthday in the next 7 days, and
-- when?" One row per shop and member, soonest first: the list for a
-- hand-written card and a gift.
select
    calendar.shop_id,
    calendar.member_id,
    calendar.care_date as birthday_date,
    calendar.days_until,
    tiers.tier_name
from {{ ref('fct_care_calendar') }} as calendar
inner join {{ ref('fct_member_tiers_current') }} as tiers
    on
        calendar.shop_id = tiers.shop_id
        and calendar.member_id = tiers.member_id
where
    calendar.care_type = 'birthday'
    and calendar.days_until <= 7
    and tiers.scheme_name = 'by_net_spend'
    and tiers.tier_name in ('gold', 'diamond')
order by calendar.days_until, calendar.shop_id, calendar.member_id
