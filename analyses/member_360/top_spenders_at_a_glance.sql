-- "Who are our five biggest spenders of the last year in each shop, and where do
-- they stand: lifecycle stage, tier and the gap to the next, churn risk, when we
-- last contacted them and what goes out to them today?" One row per shop and
-- member, the five with the largest net spend in the last 365 days (ties by
-- member id), from the member 360 alone.
with

ranked as (
    select
        shop_id,
        member_id,
        net_spend_last_365_days,
        orders_last_365_days,
        lifecycle_stage,
        tier_name,
        next_tier_name,
        gap_to_next_tier,
        churn_risk_band,
        last_contact_date,
        todays_contact_audience,
        row_number() over (
            partition by shop_id
            order by net_spend_last_365_days desc, member_id asc
        ) as spend_rank
    from {{ ref('dim_member_360') }}
    where net_spend_last_365_days > 0
)

select
    shop_id,
    spend_rank,
    member_id,
    net_spend_last_365_days,
    orders_last_365_days,
    lifecycle_stage,
    tier_name,
    next_tier_name,
    gap_to_next_tier,
    churn_risk_band,
    last_contact_date,
    todays_contact_audience
from ranked
where spend_rank <= 5
order by shop_id asc, spend_rank asc
