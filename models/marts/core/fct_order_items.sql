-- One row per shop and kept order line. The order's net amount is allocated
-- to its lines pro rata to line gross in whole cents, the rounding remainder
-- going to the largest line (ties: lowest order_item_id), so lines sum to the
-- order exactly. Lines of an order with zero gross share it equally. Lines are
-- numbered by product, quantity, unit price and line amount; lines equal in all
-- four are interchangeable (the same values whichever gets which number).
with

order_items as (
    select * from {{ ref('int_order_items_validated') }}
    where row_status = 'kept'
),

orders as (
    select * from {{ ref('fct_orders') }}
),

lines as (
    select
        order_items.shop_id,
        order_items.order_id,
        order_items.product_id,
        orders.member_id,
        order_items.quantity,
        order_items.unit_price,
        order_items.line_amount as line_gross_amount,
        orders.net_amount as order_net_amount,
        orders.is_valid_purchase,
        orders.ordered_date,
        orders.ordered_at,
        row_number() over (
            partition by order_items.shop_id, order_items.order_id
            order by order_items.product_id, order_items.quantity, order_items.unit_price, order_items.line_amount
        ) as line_number
    from order_items
    inner join orders
        on
            order_items.shop_id = orders.shop_id
            and order_items.order_id = orders.order_id
),

weighted as (
    select
        *,
        concat(order_id, '-', cast(line_number as {{ dbt.type_string() }})) as order_item_id,
        cast(order_net_amount * 100 as bigint) as order_net_cents,
        case
            when sum(line_gross_amount) over (partition by shop_id, order_id) > 0
                then cast(line_gross_amount * 100 as bigint)
            else cast(1 as bigint)
        end as line_weight
    from lines
),

floored as (
    select
        *,
        {{ member_analytics.integer_divide(
            'order_net_cents * line_weight',
            'sum(line_weight) over (partition by shop_id, order_id)') }} as floor_cents,
        row_number() over (
            partition by shop_id, order_id
            order by line_weight desc, line_number asc
        ) as weight_rank
    from weighted
),

allocated as (
    select
        *,
        floor_cents + case
            when weight_rank = 1
                then order_net_cents - sum(floor_cents) over (partition by shop_id, order_id)
            else 0
        end as net_cents
    from floored
),

final as (
    select
        shop_id,
        order_item_id,
        order_id,
        product_id,
        member_id,
        cast(quantity as bigint) as quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        cast(line_gross_amount as decimal(18, 2)) as line_gross_amount,
        cast(net_cents / 100.0 as decimal(18, 2)) as net_amount,
        is_valid_purchase,
        ordered_date,
        ordered_at
    from allocated
)

select * from final
