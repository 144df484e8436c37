-- Every kept service event up to as_of_date is in fct_service_events once,
-- and the member and monthly marts count each of them once: per shop, the
-- totals must agree. Returns the shops where they do not.
with

staged as (
    select
        shop_id,
        count(*) as staged_events
    from {{ ref('stg_shop__service_events') }}
    where
        row_status = 'kept'
        and cast(occurred_at as date) <= {{ member_analytics.as_of_date() }}
    group by shop_id
),

events as (
    select
        shop_id,
        count(*) as fact_events
    from {{ ref('fct_service_events') }}
    group by shop_id
),

members as (
    select
        shop_id,
        sum(
            number_of_cancels + number_of_rejects + number_of_returns_exchanges + number_of_complaints
            + number_of_reviews + number_of_suggestions + number_of_referrals
        ) as member_events
    from {{ ref('fct_member_service_rates') }}
    group by shop_id
),

months as (
    select
        shop_id,
        sum(
            number_of_cancels + number_of_rejects + number_of_returns_exchanges + number_of_complaints
            + number_of_reviews + number_of_suggestions + number_of_referrals
        ) as monthly_events
    from {{ ref('rpt_service_events_monthly') }}
    group by shop_id
)

select
    staged.shop_id,
    staged.staged_events,
    events.fact_events,
    members.member_events,
    months.monthly_events
from staged
left join events on staged.shop_id = events.shop_id
left join members on staged.shop_id = members.shop_id
left join months on staged.shop_id = months.shop_id
where
    events.fact_events is null
    or events.fact_events != staged.staged_events
    or members.member_events != staged.staged_events
    or months.monthly_events != staged.staged_events
