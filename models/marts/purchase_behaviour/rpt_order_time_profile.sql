-- One row per shop, hour of day (0–23) and ISO weekday (1 = Monday … 7 =
-- Sunday): valid purchases up to as_of_date placed in that hour on that
-- weekday, their buyers and net revenue, and the cell's share of the shop's
-- orders. Every one of the 168 cells is present, also when empty, so a heat
-- map has no holes (docs/decisions/0051).
with

orders as (
    select * from {{ ref('fct_orders') }}
    where is_valid_purchase
),

hour_bands as (
    select * from {{ ref('order_hour_bands') }}
),

weekdays as (
    select * from {{ ref('weekdays') }}
),

timed_orders as (
    select
        shop_id,
        member_id,
        order_id,
        net_amount,
        {{ member_analytics.hour_of_day('ordered_at') }} as hour_of_day,
        {{ member_analytics.iso_weekday('ordered_at') }} as iso_weekday
    from orders
),

shops as (
    select
        shop_id,
        count(*) as shop_orders
    from timed_orders
    group by shop_id
),

cells as (
    select
        shop_id,
        hour_of_day,
        iso_weekday,
        count(*) as number_of_orders,
        count(distinct member_id) as number_of_buyers,
        sum(net_amount) as net_amount
    from timed_orders
    group by shop_id, hour_of_day, iso_weekday
),

grid as (
    select
        shops.shop_id,
        shops.shop_orders,
        hour_bands.hour_of_day,
        hour_bands.hour_band,
        weekdays.iso_weekday,
        weekdays.weekday_name,
        weekdays.is_weekend
    from shops
    cross join hour_bands
    cross join weekdays
),

final as (
    select
        grid.shop_id,
        grid.hour_band,
        grid.weekday_name,
        cast(grid.hour_of_day as int) as hour_of_day,
        cast(grid.iso_weekday as int) as iso_weekday,
        cast(coalesce(cells.number_of_orders, 0) as int) as number_of_orders,
        cast(coalesce(cells.number_of_buyers, 0) as int) as number_of_buyers,
        cast(coalesce(cells.net_amount, 0) as decimal(18, 2)) as net_amount,
        cast(coalesce(cells.number_of_orders, 0) as double) / cast(grid.shop_orders as double) as share_of_orders,
        grid.is_weekend,
        {{ member_analytics.as_of_date() }} as as_of_date
    from grid
    left join cells
        on
            grid.shop_id = cells.shop_id
            and grid.hour_of_day = cells.hour_of_day
            and grid.iso_weekday = cells.iso_weekday
)

select * from final
