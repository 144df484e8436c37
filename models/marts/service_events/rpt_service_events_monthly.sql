-- One row per shop and calendar month (first day) with kept orders placed or
-- service events, up to the month of as_of_date: counts of each service event
-- group by the month it occurred, and their rates per order placed in the
-- same month (docs/decisions/0050).
with

service_events as (
    select * from {{ ref('fct_service_events') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where not is_after_as_of_date
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

monthly_orders as (
    select
        shop_id,
        cast({{ dbt.date_trunc('month', 'ordered_date') }} as date) as event_month,
        count(*) as number_of_orders
    from orders
    group by shop_id, cast({{ dbt.date_trunc('month', 'ordered_date') }} as date)
),

monthly_events as (
    select
        shop_id,
        cast({{ dbt.date_trunc('month', 'occurred_date') }} as date) as event_month,
        sum(case when event_group = 'cancel' then 1 else 0 end) as number_of_cancels,
        sum(case when event_group = 'reject' then 1 else 0 end) as number_of_rejects,
        sum(case when event_group = 'return_exchange' then 1 else 0 end) as number_of_returns_exchanges,
        sum(case when event_group = 'complaint' then 1 else 0 end) as number_of_complaints,
        sum(case when event_group = 'complaint' and is_resolved then 1 else 0 end) as number_of_resolved_complaints,
        sum(case when event_group = 'review' then 1 else 0 end) as number_of_reviews,
        sum(case when event_group = 'suggestion' then 1 else 0 end) as number_of_suggestions,
        sum(case when event_group = 'referral' then 1 else 0 end) as number_of_referrals,
        sum(case when event_group = 'review' and rating is not null then 1 else 0 end) as number_of_rated_reviews,
        sum(case when event_group = 'review' then rating end) as sum_of_ratings
    from service_events
    group by shop_id, cast({{ dbt.date_trunc('month', 'occurred_date') }} as date)
),

months as (
    select
        shop_id,
        event_month
    from monthly_orders
    union distinct
    select
        shop_id,
        event_month
    from monthly_events
),

counted as (
    select
        months.shop_id,
        months.event_month,
        coalesce(monthly_orders.number_of_orders, 0) as number_of_orders,
        coalesce(monthly_events.number_of_cancels, 0) as number_of_cancels,
        coalesce(monthly_events.number_of_rejects, 0) as number_of_rejects,
        coalesce(monthly_events.number_of_returns_exchanges, 0) as number_of_returns_exchanges,
        coalesce(monthly_events.number_of_complaints, 0) as number_of_complaints,
        coalesce(monthly_events.number_of_resolved_complaints, 0) as number_of_resolved_complaints,
        coalesce(monthly_events.number_of_reviews, 0) as number_of_reviews,
        coalesce(monthly_events.number_of_suggestions, 0) as number_of_suggestions,
        coalesce(monthly_events.number_of_referrals, 0) as number_of_referrals,
        coalesce(monthly_events.number_of_rated_reviews, 0) as number_of_rated_reviews,
        monthly_events.sum_of_ratings
    from months
    left join monthly_orders
        on
            months.shop_id = monthly_orders.shop_id
            and months.event_month = monthly_orders.event_month
    left join monthly_events
        on
            months.shop_id = monthly_events.shop_id
            and months.event_month = monthly_events.event_month
),

final as (
    select
        counted.shop_id,
        cast(counted.number_of_orders as int) as number_of_orders,
        cast(counted.number_of_cancels as int) as number_of_cancels,
        cast(counted.number_of_rejects as int) as number_of_rejects,
        cast(counted.number_of_returns_exchanges as int) as number_of_returns_exchanges,
        cast(counted.number_of_complaints as int) as number_of_complaints,
        cast(counted.number_of_resolved_complaints as int) as number_of_resolved_complaints,
        cast(counted.number_of_reviews as int) as number_of_reviews,
        cast(counted.number_of_suggestions as int) as number_of_suggestions,
        cast(counted.number_of_referrals as int) as number_of_referrals,
        {{ member_analytics.service_event_rates('counted') }},
        (
            counted.event_month = cast({{ dbt.date_trunc('month', 'as_of.as_of_date') }} as date)
            and as_of.as_of_date < cast(
                {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, dbt.date_trunc('month', 'as_of.as_of_date'))) }} as date
            )
        ) as is_partial_month,
        counted.event_month
    from counted
    cross join as_of
)

select * from final
