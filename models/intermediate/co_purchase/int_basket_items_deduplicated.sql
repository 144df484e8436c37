-- One row per shop, basket and product: a basket is one valid order placed in
-- the co-purchase analysis window (up to as_of_date), and a product counts
-- once per basket whatever its quantity or number of lines. Every basket is
-- kept here with its size in distinct products; is_oversized marks baskets
-- larger than the max_basket_items var, which the co-purchase marts leave out
-- of every count and report (docs/decisions/0020).
--
-- A table, not a view: five co-purchase marts read it, and at the large scale
-- recomputing the baskets in each of them was most of their time.
-- It also carries integer keys (basket_key, product_key, member_key) so that
-- the marts' self-joins and counts hash integers instead of long strings
-- (docs/decisions/0020, 0112).
{{ config(materialized='table') }}

with

order_items as (
    select * from {{ ref('int_order_items_validated') }}
    where row_status = 'kept'
),

orders as (
    select * from {{ ref('int_orders_valued') }}
    where is_valid_purchase
),

-- a product once per order: its kept lines summed (the grouping on the three
-- keys of the narrow lines, before the orders join them, costs less than
-- grouping the joined rows)
order_products as (
    select
        shop_id,
        order_id,
        product_id,
        sum(quantity) as quantity,
        count(*) as number_of_lines
    from order_items
    group by shop_id, order_id, product_id
),

-- the products of valid purchases in the analysis window (up to as_of_date),
-- dated by their order
deduplicated as (
    select
        order_products.shop_id,
        order_products.order_id,
        order_products.product_id,
        orders.member_id,
        order_products.quantity,
        order_products.number_of_lines,
        orders.ordered_date,
        orders.ordered_at
    from order_products
    inner join orders
        on
            order_products.shop_id = orders.shop_id
            and order_products.order_id = orders.order_id
    where {{ member_analytics.is_in_co_purchase_window('orders.ordered_date', member_analytics.as_of_date()) }}
),

-- The integer keys are ranks over the deduplicated rows themselves (windows,
-- not groupings joined back: a grouping joined back made DuckDB hold every row
-- of `deduplicated` in memory, which ran out of memory at the large scale).
-- basket_key: unique per shop and order (only ever compared for equality).
-- product_key follows (shop_id, product_id) order, so within a shop
-- product_key_a < product_key_b exactly when product_id_a < product_id_b:
-- pairs can be formed on the keys and stored in product id order.
-- member_key: unique per shop and member (null for an order without member;
-- those rows sort last, so they take no rank from a member).
final as (
    select
        shop_id,
        order_id,
        product_id,
        member_id,
        cast(quantity as bigint) as quantity,
        cast(number_of_lines as bigint) as number_of_lines,
        cast(count(*) over (partition by shop_id, order_id) as bigint) as basket_size,
        count(*) over (partition by shop_id, order_id)
        > {{ member_analytics.co_purchase_var('max_basket_items') }} as is_oversized,
        ordered_date,
        ordered_at,
        cast(dense_rank() over (order by shop_id, order_id) as bigint) as basket_key,
        cast(dense_rank() over (order by shop_id, product_id) as bigint) as product_key,
        cast(
            case
                when member_id is not null
                    then dense_rank() over (order by member_id is null, shop_id, member_id)
            end as bigint
        ) as member_key
    from deduplicated
)

select * from final
