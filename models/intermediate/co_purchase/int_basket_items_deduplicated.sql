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
-- (docs/decisions/0020).
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

-- the kept lines of valid purchases (the lines of fct_order_items with
-- is_valid_purchase), dated by their order
dated as (
    select
        order_items.shop_id,
        order_items.order_id,
        order_items.product_id,
        orders.member_id,
        order_items.quantity,
        orders.ordered_date,
        orders.ordered_at,
        {{ member_analytics.as_of_date() }} as as_of_date
    from order_items
    inner join orders
        on
            order_items.shop_id = orders.shop_id
            and order_items.order_id = orders.order_id
),

windowed as (
    select *
    from dated
    where {{ member_analytics.is_in_co_purchase_window('ordered_date', 'as_of_date') }}
),

deduplicated as (
    select
        shop_id,
        order_id,
        product_id,
        member_id,
        ordered_date,
        ordered_at,
        sum(quantity) as quantity,
        count(*) as number_of_lines
    from windowed
    group by shop_id, order_id, product_id, member_id, ordered_date, ordered_at
),

-- basket_key: any integer unique per shop and order (only ever compared for
-- equality).
baskets as (
    select
        shop_id,
        order_id,
        count(*) as basket_size,
        row_number() over (order by shop_id, order_id) as basket_key
    from deduplicated
    group by shop_id, order_id
),

-- product_key follows (shop_id, product_id) order, so within a shop
-- product_key_a < product_key_b exactly when product_id_a < product_id_b:
-- pairs can be formed on the keys and stored in product id order.
products as (
    select
        shop_id,
        product_id,
        row_number() over (order by shop_id, product_id) as product_key
    from (
        select distinct
            shop_id,
            product_id
        from deduplicated
    ) as distinct_products
),

-- member_key: unique per shop and member (null for an order without member).
members as (
    select
        shop_id,
        member_id,
        row_number() over (order by shop_id, member_id) as member_key
    from (
        select distinct
            shop_id,
            member_id
        from deduplicated
        where member_id is not null
    ) as distinct_members
),

final as (
    select
        deduplicated.shop_id,
        deduplicated.order_id,
        deduplicated.product_id,
        deduplicated.member_id,
        cast(deduplicated.quantity as bigint) as quantity,
        cast(deduplicated.number_of_lines as bigint) as number_of_lines,
        cast(baskets.basket_size as bigint) as basket_size,
        baskets.basket_size > {{ member_analytics.co_purchase_var('max_basket_items') }} as is_oversized,
        deduplicated.ordered_date,
        deduplicated.ordered_at,
        cast(baskets.basket_key as bigint) as basket_key,
        cast(products.product_key as bigint) as product_key,
        cast(members.member_key as bigint) as member_key
    from deduplicated
    inner join baskets
        on
            deduplicated.shop_id = baskets.shop_id
            and deduplicated.order_id = baskets.order_id
    inner join products
        on
            deduplicated.shop_id = products.shop_id
            and deduplicated.product_id = products.product_id
    left join members
        on
            deduplicated.shop_id = members.shop_id
            and deduplicated.member_id = members.member_id
)

select * from final
