-- One row per shop and product of dim_products: service events of the product
-- (on or before as_of_date) by group, and their rates per order holding the
-- product (kept orders placed on or before as_of_date, any status). An event
-- that names an order but no product (a cancel, a whole-order return) counts
-- once for each product of that order (docs/decisions/0050).
with

products as (
    select * from {{ ref('dim_products') }}
),

order_items as (
    select * from {{ ref('fct_order_items') }}
),

service_events as (
    select * from {{ ref('fct_service_events') }}
),

-- as_of_date written where it is used (the macro), not cross-joined from a one-row
-- CTE (docs/decisions/0138)
product_orders as (
    select
        order_items.shop_id,
        order_items.product_id,
        count(distinct order_items.order_id) as number_of_orders
    from order_items
    where order_items.ordered_date <= {{ member_analytics.as_of_date() }}
    group by order_items.shop_id, order_items.product_id
),

order_products as (
    select distinct
        shop_id,
        order_id,
        product_id
    from order_items
),

event_products as (
    select
        shop_id,
        product_id,
        event_group,
        rating
    from service_events
    where product_id is not null

    union all

    select
        service_events.shop_id,
        order_products.product_id,
        service_events.event_group,
        service_events.rating
    from service_events
    inner join order_products
        on
            service_events.shop_id = order_products.shop_id
            and service_events.order_id = order_products.order_id
    where service_events.product_id is null
),

product_events as (
    select
        shop_id,
        product_id,
        sum(case when event_group = 'cancel' then 1 else 0 end) as number_of_cancels,
        sum(case when event_group = 'reject' then 1 else 0 end) as number_of_rejects,
        sum(case when event_group = 'return_exchange' then 1 else 0 end) as number_of_returns_exchanges,
        sum(case when event_group = 'complaint' then 1 else 0 end) as number_of_complaints,
        sum(case when event_group = 'review' then 1 else 0 end) as number_of_reviews,
        sum(case when event_group = 'suggestion' then 1 else 0 end) as number_of_suggestions,
        sum(case when event_group = 'referral' then 1 else 0 end) as number_of_referrals,
        sum(case when event_group = 'review' and rating is not null then 1 else 0 end) as number_of_rated_reviews,
        sum(case when event_group = 'review' then rating end) as sum_of_ratings
    from event_products
    group by shop_id, product_id
),

counted as (
    select
        products.shop_id,
        products.product_id,
        products.category,
        products.brand,
        coalesce(product_orders.number_of_orders, 0) as number_of_orders,
        coalesce(product_events.number_of_cancels, 0) as number_of_cancels,
        coalesce(product_events.number_of_rejects, 0) as number_of_rejects,
        coalesce(product_events.number_of_returns_exchanges, 0) as number_of_returns_exchanges,
        coalesce(product_events.number_of_complaints, 0) as number_of_complaints,
        coalesce(product_events.number_of_reviews, 0) as number_of_reviews,
        coalesce(product_events.number_of_suggestions, 0) as number_of_suggestions,
        coalesce(product_events.number_of_referrals, 0) as number_of_referrals,
        coalesce(product_events.number_of_rated_reviews, 0) as number_of_rated_reviews,
        product_events.sum_of_ratings
    from products
    left join product_orders
        on
            products.shop_id = product_orders.shop_id
            and products.product_id = product_orders.product_id
    left join product_events
        on
            products.shop_id = product_events.shop_id
            and products.product_id = product_events.product_id
),

final as (
    select
        shop_id,
        product_id,
        category,
        brand,
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
