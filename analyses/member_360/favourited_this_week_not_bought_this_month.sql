-- "Who favourited something this week but has not bought this month, by the
-- category they favour, and how many of them can we message today?" One row per
-- shop and favourite category (last 90 days) with such members: the members, those
-- the contact rules let through today, those held out, and their net spend in
-- the last 365 days. Everything from the member 360, no join.
select
    shop_id,
    coalesce(top_favourite_category_last_90_days, 'unknown') as favourite_category,
    count(*) as members,
    sum(case when todays_contact_audience is not null then 1 else 0 end) as contacted_today,
    sum(case when is_holdout_today then 1 else 0 end) as held_out_today,
    sum(net_spend_last_365_days) as net_spend_last_365_days
from {{ ref('dim_member_360') }}
where
    favourites_last_7_days > 0
    and orders_last_30_days = 0
group by shop_id, coalesce(top_favourite_category_last_90_days, 'unknown')
order by shop_id asc, members desc, favourite_category asc
