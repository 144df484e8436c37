-- One row per shop and product launched on or before as_of_date: its trial
-- window (the launch day and the following days, trial__window_days calendar
-- days in all, cut at as_of_date) and what members did with it in the window.
-- Visitors are distinct members with a view, favourite or cart event on the
-- product; every rate is distinct members ÷ distinct visitors; a likely
-- best-seller has (favourite members + cart members) ≥ min rate × visitors
-- (docs/decisions/0051).
{%- set window_days = member_analytics.validated_number('member_analytics__trial__window_days') %}
{%- set min_rate = member_analytics.validated_number('member_analytics__trial__likely_best_seller_min_rate') %}
with

products as (
    select * from {{ ref('dim_products') }}
    where launched_date is not null
),

behavior_events as (
    select * from {{ ref('stg_shop__behavior_events') }}
    where
        row_status = 'kept'
        and product_id is not null
        and event_type in ('view', 'favorite', 'cart')
),

order_items as (
    select * from {{ ref('fct_order_items') }}
    where is_valid_purchase
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

windows as (
    select
        products.shop_id,
        products.product_id,
        products.product_name,
        products.category,
        products.brand,
        products.launched_date,
        as_of.as_of_date,
        cast({{ dbt.dateadd('day', window_days ~ ' - 1', 'products.launched_date') }} as date) as trial_end_date
    from products
    cross join as_of
    where products.launched_date <= as_of.as_of_date
),

observed_windows as (
    select
        *,
        case when trial_end_date <= as_of_date then trial_end_date else as_of_date end as observed_end_date
    from windows
),

window_events as (
    select
        observed_windows.shop_id,
        observed_windows.product_id,
        behavior_events.member_id,
        behavior_events.event_type
    from observed_windows
    inner join behavior_events
        on
            observed_windows.shop_id = behavior_events.shop_id
            and observed_windows.product_id = behavior_events.product_id
            and cast(behavior_events.occurred_at as date) >= observed_windows.launched_date
            and cast(behavior_events.occurred_at as date) <= observed_windows.observed_end_date
),

event_counts as (
    select
        shop_id,
        product_id,
        sum(case when event_type = 'view' then 1 else 0 end) as number_of_views,
        count(distinct member_id) as number_of_visitors,
        count(distinct case when event_type = 'favorite' then member_id end) as number_of_favourite_members,
        count(distinct case when event_type = 'cart' then member_id end) as number_of_cart_members
    from window_events
    group by shop_id, product_id
),

purchase_counts as (
    select
        observed_windows.shop_id,
        observed_windows.product_id,
        count(distinct order_items.member_id) as number_of_buyers,
        count(distinct order_items.order_id) as number_of_orders,
        sum(order_items.net_amount) as net_amount
    from observed_windows
    inner join order_items
        on
            observed_windows.shop_id = order_items.shop_id
            and observed_windows.product_id = order_items.product_id
            and observed_windows.launched_date <= order_items.ordered_date
            and observed_windows.observed_end_date >= order_items.ordered_date
    group by observed_windows.shop_id, observed_windows.product_id
),

counted as (
    select
        observed_windows.*,
        coalesce(event_counts.number_of_views, 0) as number_of_views,
        coalesce(event_counts.number_of_visitors, 0) as number_of_visitors,
        coalesce(event_counts.number_of_favourite_members, 0) as number_of_favourite_members,
        coalesce(event_counts.number_of_cart_members, 0) as number_of_cart_members,
        coalesce(purchase_counts.number_of_buyers, 0) as number_of_buyers,
        coalesce(purchase_counts.number_of_orders, 0) as number_of_orders,
        coalesce(purchase_counts.net_amount, 0) as net_amount
    from observed_windows
    left join event_counts
        on
            observed_windows.shop_id = event_counts.shop_id
            and observed_windows.product_id = event_counts.product_id
    left join purchase_counts
        on
            observed_windows.shop_id = purchase_counts.shop_id
            and observed_windows.product_id = purchase_counts.product_id
),

final as (
    select
        shop_id,
        product_id,
        product_name,
        category,
        brand,
        cast({{ window_days }} as int) as trial_window_days,
        cast({{ dbt.datediff('launched_date', 'observed_end_date', 'day') }} + 1 as int) as days_observed,
        cast(number_of_views as int) as number_of_views,
        cast(number_of_visitors as int) as number_of_visitors,
        cast(number_of_favourite_members as int) as number_of_favourite_members,
        cast(number_of_cart_members as int) as number_of_cart_members,
        cast(number_of_buyers as int) as number_of_buyers,
        cast(number_of_orders as int) as number_of_orders,
        cast(net_amount as decimal(18, 2)) as net_amount,
        case
            when number_of_visitors > 0
                then cast(number_of_favourite_members as double) / cast(number_of_visitors as double)
        end as favourite_rate,
        case
            when number_of_visitors > 0
                then cast(number_of_cart_members as double) / cast(number_of_visitors as double)
        end as cart_rate,
        case
            when number_of_visitors > 0
                then
                    cast(number_of_favourite_members + number_of_cart_members as double)
                    / cast(number_of_visitors as double)
        end as favourite_cart_rate,
        case
            when number_of_visitors > 0
                then cast(number_of_buyers as double) / cast(number_of_visitors as double)
        end as conversion_rate,
        -- exact: the var is a decimal literal, the counts integers (no float edge at 6%)
        coalesce(
            number_of_visitors > 0
            and number_of_favourite_members + number_of_cart_members >= {{ min_rate }} * number_of_visitors,
            false
        ) as is_likely_best_seller,
        trial_end_date <= as_of_date as is_window_complete,
        launched_date,
        trial_end_date,
        as_of_date
    from counted
)

select * from final
