-- One row per shop with at least one valid order in the co-purchase analysis
-- window: the baskets counted (N of every co-purchase mart), the oversized
-- baskets left out (never silently), the single-item baskets (in N: they
-- change support, not confidence) and the window itself.
with

basket_items as (
    select * from {{ ref('int_basket_items_deduplicated') }}
),

baskets as (
    select
        shop_id,
        order_id,
        max(basket_size) as basket_size,
        max(case when is_oversized then 1 else 0 end) as is_oversized_flag
    from basket_items
    group by shop_id, order_id
),

shops as (
    select
        shop_id,
        count(*) as number_of_valid_orders,
        sum(case when is_oversized_flag = 0 then 1 else 0 end) as number_of_baskets,
        sum(is_oversized_flag) as number_of_oversized_baskets,
        sum(case when is_oversized_flag = 0 and basket_size = 1 then 1 else 0 end) as number_of_single_item_baskets,
        sum(case when is_oversized_flag = 0 then basket_size else 0 end) as number_of_basket_items,
        max(basket_size) as largest_basket_size
    from baskets
    group by shop_id
),

final as (
    select
        shop_id,
        cast(number_of_valid_orders as bigint) as number_of_valid_orders,
        cast(number_of_baskets as bigint) as number_of_baskets,
        cast(number_of_oversized_baskets as bigint) as number_of_oversized_baskets,
        cast(number_of_single_item_baskets as bigint) as number_of_single_item_baskets,
        cast(number_of_basket_items as bigint) as number_of_basket_items,
        cast(largest_basket_size as bigint) as largest_basket_size,
        cast({{ member_analytics.co_purchase_var('max_basket_items') }} as bigint) as max_basket_items,
        {{ member_analytics.co_purchase_window_start_date(member_analytics.as_of_date()) }} as window_start_date,
        {{ member_analytics.as_of_date() }} as as_of_date
    from shops
)

select * from final
