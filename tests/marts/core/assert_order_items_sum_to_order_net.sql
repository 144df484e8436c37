-- The allocated line net amounts of an order sum exactly to its net amount.
with

line_totals as (
    select
        shop_id,
        order_id,
        sum(net_amount) as lines_net_amount
    from {{ ref('fct_order_items') }}
    group by shop_id, order_id
)

select
    line_totals.shop_id,
    line_totals.order_id,
    line_totals.lines_net_amount,
    orders.net_amount
from line_totals
inner join {{ ref('fct_orders') }} as orders
    on
        line_totals.shop_id = orders.shop_id
        and line_totals.order_id = orders.order_id
where line_totals.lines_net_amount <> orders.net_amount
