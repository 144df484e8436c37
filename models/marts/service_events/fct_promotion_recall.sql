-- One row per shop, big promotion (seed promotion_windows) that ended by
-- as_of_date, and member who favourited or carted a product during the
-- promotion window (pre-heat start to the promotion's last day) and made no
-- valid purchase in that window: the members to recall in the return period,
-- and whether they bought in it (docs/decisions/0050).
with

promotion_windows as (
    select * from {{ ref('promotion_windows') }}
),

behavior_events as (
    select * from {{ ref('stg_shop__behavior_events') }}
    where
        row_status = 'kept'
        and event_type in ('favorite', 'cart')
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_valid_purchase
),

members as (
    select * from {{ ref('dim_members') }}
),

-- as_of_date written where it is used (the macro), not cross-joined from a one-row
-- CTE: DuckDB then sees how few windows pass and joins the 4 M behaviour events to
-- them by a nested loop instead of sorting the events (docs/decisions/0138)
windows as (
    select
        promotion_windows.promotion_id,
        promotion_windows.promotion_name,
        promotion_windows.preheat_start_date,
        cast({{ dbt.dateadd('day', 'promotion_windows.promotion_days - 1', 'promotion_windows.promotion_date') }} as date)
            as promotion_end_date,
        cast({{ dbt.dateadd('day', 'promotion_windows.promotion_days', 'promotion_windows.promotion_date') }} as date)
            as return_period_start_date,
        cast({{ dbt.dateadd(
            'day',
            'promotion_windows.promotion_days + promotion_windows.return_period_days - 1',
            'promotion_windows.promotion_date'
        ) }} as date) as return_period_end_date
    from promotion_windows
    where
        cast({{ dbt.dateadd('day', 'promotion_windows.promotion_days - 1', 'promotion_windows.promotion_date') }} as date)
        <= {{ member_analytics.as_of_date() }}
),

interest as (
    select
        behavior_events.shop_id,
        windows.promotion_id,
        behavior_events.member_id,
        sum(case when behavior_events.event_type = 'favorite' then 1 else 0 end) as number_of_favorites,
        sum(case when behavior_events.event_type = 'cart' then 1 else 0 end) as number_of_carts,
        count(distinct behavior_events.product_id) as number_of_products,
        min(cast(behavior_events.occurred_at as date)) as first_interest_date,
        max(cast(behavior_events.occurred_at as date)) as last_interest_date
    from behavior_events
    inner join windows
        on
            cast(behavior_events.occurred_at as date) >= windows.preheat_start_date
            and cast(behavior_events.occurred_at as date) <= windows.promotion_end_date
    group by behavior_events.shop_id, windows.promotion_id, behavior_events.member_id
),

window_buyers as (
    select distinct
        orders.shop_id,
        windows.promotion_id,
        orders.member_id
    from orders
    inner join windows
        on
            orders.ordered_date >= windows.preheat_start_date
            and orders.ordered_date <= windows.promotion_end_date
),

return_period_purchases as (
    select
        orders.shop_id,
        windows.promotion_id,
        orders.member_id,
        count(*) as number_of_purchases,
        sum(orders.net_amount) as net_revenue
    from orders
    inner join windows
        on
            orders.ordered_date >= windows.return_period_start_date
            and orders.ordered_date <= windows.return_period_end_date
    group by orders.shop_id, windows.promotion_id, orders.member_id
),

final as (
    select
        interest.shop_id,
        interest.promotion_id,
        interest.member_id,
        windows.promotion_name,
        cast(interest.number_of_favorites as int) as number_of_favorites,
        cast(interest.number_of_carts as int) as number_of_carts,
        cast(interest.number_of_products as int) as number_of_products,
        cast(coalesce(return_period_purchases.number_of_purchases, 0) as int) as number_of_return_period_purchases,
        cast(coalesce(return_period_purchases.net_revenue, 0) as decimal(38, 2)) as return_period_net_revenue,
        return_period_purchases.member_id is not null as has_bought_in_return_period,
        windows.return_period_end_date <= {{ member_analytics.as_of_date() }} as is_return_period_complete,
        coalesce(members.is_marketing_opt_out, false) as is_marketing_opt_out,
        interest.first_interest_date,
        interest.last_interest_date,
        windows.preheat_start_date,
        windows.promotion_end_date,
        windows.return_period_start_date,
        windows.return_period_end_date
    from interest
    inner join windows
        on interest.promotion_id = windows.promotion_id
    left join window_buyers
        on
            interest.shop_id = window_buyers.shop_id
            and interest.promotion_id = window_buyers.promotion_id
            and interest.member_id = window_buyers.member_id
    left join return_period_purchases
        on
            interest.shop_id = return_period_purchases.shop_id
            and interest.promotion_id = return_period_purchases.promotion_id
            and interest.member_id = return_period_purchases.member_id
    left join members
        on
            interest.shop_id = members.shop_id
            and interest.member_id = members.member_id
    where window_buyers.member_id is null
)

select * from final
