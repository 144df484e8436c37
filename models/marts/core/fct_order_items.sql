-- One row per shop and kept order line. The order's net amount is allocated
-- to its lines pro rata to line gross in whole cents, the rounding remainder
-- going to the largest line (ties: lowest line number), so lines sum to the
-- order exactly. Lines of an order with zero gross share it equally. Lines are
-- numbered by product, quantity, unit price and line amount; lines equal in all
-- four are interchangeable (the same values whichever gets which number).
--
-- One window pass over the lines (the line numbers with the order's totals on
-- one sort; docs/decisions/0112), then the floored cents' sum grouped by order.
-- Incremental on DuckDB (docs/decisions/0119, 0142): a line reads only its own
-- order's lines and fct_orders row, so a daily run deletes the lines of the orders
-- whose row or lines changed (int_incremental_changed_item_orders) and appends
-- those orders' lines recomputed; every line when order_items was staged in full.
-- depends_on: {{ ref('int_incremental_changed_item_orders') }}
{{ config(**member_analytics.member_keyed_config('delete_changed_orders(["order_items"])')) }}
{%- set state = member_analytics.member_keyed_state(['order_items']) if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(state) %}
with

order_items as (
    select * from {{ ref('int_order_items_validated') }}
    where row_status = 'kept'
),

orders as (
    select orders.* from {{ ref('fct_orders') }} as orders
    where {{ member_analytics.is_changed_order(state, 'orders') }}
),

-- the lines of an order, numbered; the order's line totals ride on the same
-- sorted window (one sort), so no grouping is joined back
numbered_lines as (
    select
        order_items.shop_id,
        order_items.order_id,
        order_items.product_id,
        orders.member_id,
        order_items.quantity,
        order_items.unit_price,
        order_items.line_amount as line_gross_amount,
        orders.is_valid_purchase,
        orders.ordered_date,
        orders.ordered_at,
        cast(orders.net_amount * 100 as bigint) as order_net_cents,
        row_number() over (
            partition by order_items.shop_id, order_items.order_id
            order by order_items.product_id, order_items.quantity, order_items.unit_price, order_items.line_amount
        ) as line_number,
        sum(order_items.line_amount) over (
            partition by order_items.shop_id, order_items.order_id
            order by order_items.product_id, order_items.quantity, order_items.unit_price, order_items.line_amount
            rows between unbounded preceding and unbounded following
        ) as gross_total,
        sum(cast(order_items.line_amount * 100 as bigint)) over (
            partition by order_items.shop_id, order_items.order_id
            order by order_items.product_id, order_items.quantity, order_items.unit_price, order_items.line_amount
            rows between unbounded preceding and unbounded following
        ) as gross_cents_total,
        max(cast(order_items.line_amount * 100 as bigint)) over (
            partition by order_items.shop_id, order_items.order_id
            order by order_items.product_id, order_items.quantity, order_items.unit_price, order_items.line_amount
            rows between unbounded preceding and unbounded following
        ) as largest_gross_cents,
        count(*) over (
            partition by order_items.shop_id, order_items.order_id
            order by order_items.product_id, order_items.quantity, order_items.unit_price, order_items.line_amount
            rows between unbounded preceding and unbounded following
        ) as line_count
    from order_items
    inner join orders
        on
            order_items.shop_id = orders.shop_id
            and order_items.order_id = orders.order_id
),

-- a line weighs its gross in cents, or 1 when the order's gross is not positive
weighted as (
    select
        *,
        case
            when gross_total > 0 then cast(line_gross_amount * 100 as bigint)
            else cast(1 as bigint)
        end as line_weight,
        case
            when gross_total > 0 then gross_cents_total
            else cast(line_count as bigint)
        end as total_weight,
        case
            when gross_total > 0 then largest_gross_cents
            else cast(1 as bigint)
        end as largest_weight
    from numbered_lines
),

-- read twice (the order's floored total and remainder line, then the lines): held
-- where the engine can hold a CTE (DuckDB), rather than numbering the lines twice
floored as {{ member_analytics.materialized_cte() }} (
    select
        *,
        {{ member_analytics.integer_divide('order_net_cents * line_weight', 'total_weight') }} as floor_cents
    from weighted
),

-- the remainder goes to the largest weight, then the lowest line number; the
-- order's figures grouped over the floored lines and joined back, not a second
-- window carrying every column of the lines (about 8% of the model at medium)
floor_totals as (
    select
        shop_id,
        order_id,
        coalesce(min(case when line_weight = largest_weight then line_number end), 1) as remainder_line_number,
        sum(floor_cents) as floor_cents_total
    from floored
    group by shop_id, order_id
),

remainder_lines as (
    select
        floored.*,
        floor_totals.remainder_line_number,
        floor_totals.floor_cents_total
    from floored
    inner join floor_totals
        on
            floored.shop_id = floor_totals.shop_id
            and floored.order_id = floor_totals.order_id
),

allocated as (
    select
        *,
        floor_cents + case
            when line_number = remainder_line_number then order_net_cents - floor_cents_total
            else 0
        end as net_cents
    from remainder_lines
),

final as (
    select
        shop_id,
        concat(order_id, '-', cast(line_number as {{ dbt.type_string() }})) as order_item_id,
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
