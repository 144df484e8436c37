-- One row per shop, big promotion (seed promotion_windows) and period: the
-- promotion__comparison_days days before the pre-heat, the promotion window
-- itself (pre-heat start to the promotion's last day) and the same number of
-- days after it, for periods started by as_of_date. Orders, buyers, new
-- buyers and net revenue of valid purchases placed in the period, and service
-- events that occurred in it with their rates per order placed in it: the
-- post-promotion rise in returns and complaints (docs/decisions/0050).
{%- set comparison_days = member_analytics.validated_number('member_analytics__promotion__comparison_days') %}
with

promotion_windows as (
    select * from {{ ref('promotion_windows') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where not is_after_as_of_date
),

service_events as (
    select * from {{ ref('fct_service_events') }}
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

shops as (
    select
        shop_id,
        min(ordered_date) as first_order_date
    from orders
    group by shop_id
),

windows as (
    select
        promotion_id,
        promotion_name,
        promotion_date,
        preheat_start_date,
        cast({{ dbt.dateadd('day', 'promotion_days - 1', 'promotion_date') }} as date) as promotion_end_date
    from promotion_windows
),

periods as (
    select
        promotion_id,
        promotion_name,
        promotion_date,
        'before' as period,
        1 as period_order,
        cast({{ dbt.dateadd('day', '-' ~ comparison_days, 'preheat_start_date') }} as date) as period_start_date,
        cast({{ dbt.dateadd('day', -1, 'preheat_start_date') }} as date) as period_end_date
    from windows
    union all
    select
        promotion_id,
        promotion_name,
        promotion_date,
        'during' as period,
        2 as period_order,
        preheat_start_date as period_start_date,
        promotion_end_date as period_end_date
    from windows
    union all
    select
        promotion_id,
        promotion_name,
        promotion_date,
        'after' as period,
        3 as period_order,
        cast({{ dbt.dateadd('day', 1, 'promotion_end_date') }} as date) as period_start_date,
        cast({{ dbt.dateadd('day', comparison_days, 'promotion_end_date') }} as date) as period_end_date
    from windows
),

shop_periods as (
    select
        shops.shop_id,
        shops.first_order_date,
        periods.*,
        as_of.as_of_date
    from shops
    cross join periods
    cross join as_of
    where periods.period_start_date <= as_of.as_of_date
),

period_orders as (
    select
        shop_periods.shop_id,
        shop_periods.promotion_id,
        shop_periods.period,
        count(*) as number_of_orders,
        sum(case when orders.is_valid_purchase then 1 else 0 end) as number_of_valid_purchases,
        count(distinct case when orders.is_valid_purchase then orders.member_id end) as number_of_buyers,
        count(distinct case when orders.purchase_type = 'new' then orders.member_id end) as number_of_new_buyers,
        sum(case when orders.is_valid_purchase then orders.net_amount else cast(0 as decimal(18, 2)) end)
            as net_revenue
    from shop_periods
    inner join orders
        on
            shop_periods.shop_id = orders.shop_id
            and shop_periods.period_start_date <= orders.ordered_date
            and shop_periods.period_end_date >= orders.ordered_date
    group by shop_periods.shop_id, shop_periods.promotion_id, shop_periods.period
),

period_events as (
    select
        shop_periods.shop_id,
        shop_periods.promotion_id,
        shop_periods.period,
        sum(case when service_events.event_group = 'cancel' then 1 else 0 end) as number_of_cancels,
        sum(case when service_events.event_group = 'reject' then 1 else 0 end) as number_of_rejects,
        sum(case when service_events.event_group = 'return_exchange' then 1 else 0 end)
            as number_of_returns_exchanges,
        sum(case when service_events.event_group = 'complaint' then 1 else 0 end) as number_of_complaints,
        sum(case when service_events.event_group = 'review' then 1 else 0 end) as number_of_reviews,
        sum(case when service_events.event_group = 'suggestion' then 1 else 0 end) as number_of_suggestions,
        sum(case when service_events.event_group = 'referral' then 1 else 0 end) as number_of_referrals,
        sum(case when service_events.event_group = 'review' and service_events.rating <= 2 then 1 else 0 end)
            as number_of_bad_reviews,
        sum(case when service_events.event_group = 'review' and service_events.rating is not null then 1 else 0 end)
            as number_of_rated_reviews,
        sum(case when service_events.event_group = 'review' then service_events.rating end) as sum_of_ratings
    from shop_periods
    inner join service_events
        on
            shop_periods.shop_id = service_events.shop_id
            and shop_periods.period_start_date <= service_events.occurred_date
            and shop_periods.period_end_date >= service_events.occurred_date
    group by shop_periods.shop_id, shop_periods.promotion_id, shop_periods.period
),

counted as (
    select
        shop_periods.shop_id,
        shop_periods.promotion_id,
        shop_periods.promotion_name,
        shop_periods.period,
        shop_periods.period_order,
        cast({{ dbt.datediff('shop_periods.period_start_date', 'shop_periods.period_end_date', 'day') }} + 1 as int)
            as number_of_days,
        coalesce(period_orders.number_of_orders, 0) as number_of_orders,
        coalesce(period_orders.number_of_valid_purchases, 0) as number_of_valid_purchases,
        coalesce(period_orders.number_of_buyers, 0) as number_of_buyers,
        coalesce(period_orders.number_of_new_buyers, 0) as number_of_new_buyers,
        coalesce(period_orders.net_revenue, cast(0 as decimal(18, 2))) as net_revenue,
        coalesce(period_events.number_of_cancels, 0) as number_of_cancels,
        coalesce(period_events.number_of_rejects, 0) as number_of_rejects,
        coalesce(period_events.number_of_returns_exchanges, 0) as number_of_returns_exchanges,
        coalesce(period_events.number_of_complaints, 0) as number_of_complaints,
        coalesce(period_events.number_of_reviews, 0) as number_of_reviews,
        coalesce(period_events.number_of_bad_reviews, 0) as number_of_bad_reviews,
        coalesce(period_events.number_of_suggestions, 0) as number_of_suggestions,
        coalesce(period_events.number_of_referrals, 0) as number_of_referrals,
        coalesce(period_events.number_of_rated_reviews, 0) as number_of_rated_reviews,
        period_events.sum_of_ratings,
        (
            shop_periods.period_start_date >= shop_periods.first_order_date
            and shop_periods.period_end_date <= shop_periods.as_of_date
        ) as is_complete,
        shop_periods.promotion_date,
        shop_periods.period_start_date,
        shop_periods.period_end_date
    from shop_periods
    left join period_orders
        on
            shop_periods.shop_id = period_orders.shop_id
            and shop_periods.promotion_id = period_orders.promotion_id
            and shop_periods.period = period_orders.period
    left join period_events
        on
            shop_periods.shop_id = period_events.shop_id
            and shop_periods.promotion_id = period_events.promotion_id
            and shop_periods.period = period_events.period
),

final as (
    select
        shop_id,
        promotion_id,
        promotion_name,
        period,
        cast(period_order as int) as period_order,
        number_of_days,
        cast(number_of_orders as int) as number_of_orders,
        cast(number_of_valid_purchases as int) as number_of_valid_purchases,
        cast(number_of_buyers as int) as number_of_buyers,
        cast(number_of_new_buyers as int) as number_of_new_buyers,
        cast(net_revenue as decimal(38, 2)) as net_revenue,
        cast(number_of_cancels as int) as number_of_cancels,
        cast(number_of_rejects as int) as number_of_rejects,
        cast(number_of_returns_exchanges as int) as number_of_returns_exchanges,
        cast(number_of_complaints as int) as number_of_complaints,
        cast(number_of_reviews as int) as number_of_reviews,
        cast(number_of_bad_reviews as int) as number_of_bad_reviews,
        cast(number_of_suggestions as int) as number_of_suggestions,
        cast(number_of_referrals as int) as number_of_referrals,
        {{ member_analytics.service_event_rates() }},
        is_complete,
        promotion_date,
        period_start_date,
        period_end_date
    from counted
)

select * from final
