-- One row per shop, basket and product: a basket is one valid order placed in
-- the co-purchase analysis window (up to as_of_date), and a product counts
-- once per basket whatever its quantity or number of lines. Every basket is
-- kept here with its size in distinct products; is_oversized marks baskets
-- larger than the max_basket_items var, which the co-purchase marts leave out
-- of every count and report (docs/decisions/0020).
with

order_items as (
    select * from {{ ref('fct_order_items') }}
    where is_valid_purchase
),

dated as (
    select
        *,
        {{ member_analytics.as_of_date() }} as as_of_date
    from order_items
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

sized as (
    select
        *,
        count(*) over (partition by shop_id, order_id) as basket_size
    from deduplicated
),

final as (
    select
        shop_id,
        order_id,
        product_id,
        member_id,
        cast(quantity as bigint) as quantity,
        cast(number_of_lines as bigint) as number_of_lines,
        cast(basket_size as bigint) as basket_size,
        basket_size > {{ member_analytics.co_purchase_var('max_basket_items') }} as is_oversized,
        ordered_date,
        ordered_at
    from sized
)

select * from final
