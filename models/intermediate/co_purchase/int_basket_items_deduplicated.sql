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
-- (docs/decisions/0020, 0112). The keys are numbered on the small tables (the
-- baskets, the kept lines' products, the baskets' buyers) and joined on, not ranked
-- over every basket line: three windows ordered over all the lines were most
-- of this model's time at the large scale (docs/decisions/0112).
{{ config(materialized='table') }}

{#- a basket: a valid purchase in the analysis window (up to as_of_date); the
    orders are read twice (buyers, baskets) rather than held in a CTE -#}
{%- set is_basket -%}
    is_valid_purchase
    and {{ member_analytics.is_in_co_purchase_window('ordered_date', member_analytics.as_of_date()) }}
{%- endset %}

with

order_items as (
    select * from {{ ref('int_order_items_validated') }}
    where row_status = 'kept'
),

-- the kept lines' products, read a second time on purpose: a CTE read twice is
-- materialised by DuckDB (every kept line held in memory)
line_products as (
    select
        shop_id,
        product_id
    from {{ ref('int_order_items_validated') }}
    where row_status = 'kept'
),

-- member_key: unique per shop and member, numbered on the baskets' own buyers
-- (not on int_members_unified, which would put every staging model, the
-- behaviour events included, upstream of the co-purchase marts)
members as (
    select
        shop_id,
        member_id,
        row_number() over (order by shop_id, member_id) as member_key
    from (
        select distinct
            shop_id,
            member_id
        from {{ ref('int_orders_valued') }}
        where {{ is_basket }} and member_id is not null
    ) as buyers
),

-- the baskets: valid purchases in the analysis window (up to as_of_date), with
-- their member's key. basket_key: unique per shop and order
-- (only ever compared for equality).
baskets as (
    select
        valid_orders.shop_id,
        valid_orders.order_id,
        valid_orders.member_id,
        valid_orders.ordered_date,
        valid_orders.ordered_at,
        members.member_key,
        row_number() over (order by valid_orders.shop_id, valid_orders.order_id) as basket_key
    from (
        select
            shop_id,
            order_id,
            member_id,
            ordered_date,
            ordered_at
        from {{ ref('int_orders_valued') }}
        where {{ is_basket }}
    ) as valid_orders
    left join members
        on
            valid_orders.shop_id = members.shop_id
            and valid_orders.member_id = members.member_id
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
        from line_products
    ) as distinct_products
),

-- a product once per order: its kept lines summed (grouped on the three keys
-- of the narrow lines, before the baskets join them)
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

-- the products of the baskets, dated by their order; the basket's size counted
-- over its integer key (one per shop and order), not over the two id strings:
-- the same partitions at about 60% of the window's time at the large scale
deduplicated as (
    select
        order_products.shop_id,
        order_products.order_id,
        order_products.product_id,
        baskets.member_id,
        order_products.quantity,
        order_products.number_of_lines,
        baskets.ordered_date,
        baskets.ordered_at,
        baskets.basket_key,
        baskets.member_key,
        count(*) over (partition by baskets.basket_key) as basket_size
    from order_products
    inner join baskets
        on
            order_products.shop_id = baskets.shop_id
            and order_products.order_id = baskets.order_id
),

final as (
    select
        deduplicated.shop_id,
        deduplicated.order_id,
        deduplicated.product_id,
        deduplicated.member_id,
        cast(deduplicated.quantity as bigint) as quantity,
        cast(deduplicated.number_of_lines as bigint) as number_of_lines,
        cast(deduplicated.basket_size as bigint) as basket_size,
        deduplicated.basket_size > {{ member_analytics.co_purchase_var('max_basket_items') }} as is_oversized,
        deduplicated.ordered_date,
        deduplicated.ordered_at,
        cast(deduplicated.basket_key as bigint) as basket_key,
        cast(products.product_key as bigint) as product_key,
        cast(deduplicated.member_key as bigint) as member_key
    from deduplicated
    inner join products
        on
            deduplicated.shop_id = products.shop_id
            and deduplicated.product_id = products.product_id
)

select * from final
