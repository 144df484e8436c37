-- One row per shop and member with at least one kept order placed or one
-- service event on or before as_of_date: counts of each service event group
-- and their rates per order placed (docs/decisions/0050).
with

service_events as (
    select * from {{ ref('fct_service_events') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where not is_after_as_of_date
),

member_orders as (
    select
        shop_id,
        member_id,
        count(*) as number_of_orders
    from orders
    group by shop_id, member_id
),

member_events as (
    select
        shop_id,
        member_id,
        sum(case when event_group = 'cancel' then 1 else 0 end) as number_of_cancels,
        sum(case when event_group = 'reject' then 1 else 0 end) as number_of_rejects,
        sum(case when event_group = 'return_exchange' then 1 else 0 end) as number_of_returns_exchanges,
        sum(case when event_group = 'complaint' then 1 else 0 end) as number_of_complaints,
        sum(case when event_group = 'review' then 1 else 0 end) as number_of_reviews,
        sum(case when event_group = 'suggestion' then 1 else 0 end) as number_of_suggestions,
        sum(case when event_group = 'referral' then 1 else 0 end) as number_of_referrals,
        sum(case when event_group = 'review' and rating is not null then 1 else 0 end) as number_of_rated_reviews,
        sum(case when event_group = 'review' then rating end) as sum_of_ratings
    from service_events
    group by shop_id, member_id
),

members as (
    select
        shop_id,
        member_id
    from member_orders
    union distinct
    select
        shop_id,
        member_id
    from member_events
),

counted as (
    select
        members.shop_id,
        members.member_id,
        coalesce(member_orders.number_of_orders, 0) as number_of_orders,
        coalesce(member_events.number_of_cancels, 0) as number_of_cancels,
        coalesce(member_events.number_of_rejects, 0) as number_of_rejects,
        coalesce(member_events.number_of_returns_exchanges, 0) as number_of_returns_exchanges,
        coalesce(member_events.number_of_complaints, 0) as number_of_complaints,
        coalesce(member_events.number_of_reviews, 0) as number_of_reviews,
        coalesce(member_events.number_of_suggestions, 0) as number_of_suggestions,
        coalesce(member_events.number_of_referrals, 0) as number_of_referrals,
        coalesce(member_events.number_of_rated_reviews, 0) as number_of_rated_reviews,
        member_events.sum_of_ratings
    from members
    left join member_orders
        on
            members.shop_id = member_orders.shop_id
            and members.member_id = member_orders.member_id
    left join member_events
        on
            members.shop_id = member_events.shop_id
            and members.member_id = member_events.member_id
),

final as (
    select
        shop_id,
        member_id,
        cast(number_of_orders as int) as number_of_orders,
        cast(number_of_cancels as int) as number_of_cancels,
        cast(number_of_rejects as int) as number_of_rejects,
        cast(number_of_returns_exchanges as int) as number_of_returns_exchanges,
        cast(number_of_complaints as int) as number_of_complaints,
        cast(number_of_reviews as int) as number_of_reviews,
        cast(number_of_suggestions as int) as number_of_suggestions,
        cast(number_of_referrals as int) as number_of_referrals,
        {{ member_analytics.service_event_rates() }}
    from counted
)

select * from final
