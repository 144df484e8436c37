-- One row per shop and member of dim_members as of as_of_date: valid
-- purchases, purchase days and net revenue in the loyalty window, lifetime
-- purchases, and the loyalty level: high for repeat buying in the window,
-- else low (docs/decisions/0040).
{%- set window_days = member_analytics.validated_number('member_analytics__loyalty__window_days') %}
with

members as (
    select * from {{ ref('dim_members') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_valid_purchase
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

window_start as (
    select cast({{ dbt.dateadd('day', '1 - ' ~ window_days, 'as_of_date') }} as date) as window_start_date
    from as_of
),

purchases as (
    select
        orders.shop_id,
        orders.member_id,
        count(*) as lifetime_purchases,
        sum(case when orders.ordered_date >= window_start.window_start_date then 1 else 0 end) as purchases_in_window,
        count(distinct case
            when orders.ordered_date >= window_start.window_start_date then orders.ordered_date
        end) as purchase_days_in_window,
        sum(case
            when orders.ordered_date >= window_start.window_start_date then orders.net_amount
            else cast(0 as decimal(18, 2))
        end) as net_revenue_in_window
    from orders
    cross join window_start
    group by orders.shop_id, orders.member_id
),

final as (
    select
        members.shop_id,
        members.member_id,
        as_of.as_of_date,
        cast(coalesce(purchases.purchases_in_window, 0) as int) as purchases_in_window,
        cast(coalesce(purchases.purchase_days_in_window, 0) as int) as purchase_days_in_window,
        cast(coalesce(purchases.net_revenue_in_window, 0) as decimal(18, 2)) as net_revenue_in_window,
        cast(coalesce(purchases.lifetime_purchases, 0) as int) as lifetime_purchases,
        {{ member_analytics.loyalty_level('purchases.purchases_in_window', 'purchases.purchase_days_in_window') }}
            as loyalty_level
    from members
    cross join as_of
    left join purchases
        on
            members.shop_id = purchases.shop_id
            and members.member_id = purchases.member_id
)

select * from final
