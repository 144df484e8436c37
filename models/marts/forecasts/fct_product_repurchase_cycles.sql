-- One row per shop, cycle level and item with at least one member who bought
-- it on two or more purchase days by as_of_date: per product (cycle_level
-- 'product') and per category ('category'), the median days between a
-- member's consecutive purchase days of it, over every such gap of the
-- members with at least two (docs/decisions/0122). A purchase day of an item
-- is a day with a valid purchase holding it. The cycle the repurchase_due
-- audience measures a member's wait against.
with

order_items as (
    select * from {{ ref('fct_order_items') }}
    where is_valid_purchase
),

products as (
    select * from {{ ref('dim_products') }}
),

item_days as (
    select distinct
        order_items.shop_id,
        'product' as cycle_level,
        order_items.product_id as item_id,
        order_items.member_id,
        order_items.ordered_date
    from order_items
    union all
    select distinct
        order_items.shop_id,
        'category' as cycle_level,
        products.category as item_id,
        order_items.member_id,
        order_items.ordered_date
    from order_items
    inner join products
        on order_items.shop_id = products.shop_id and order_items.product_id = products.product_id
    where products.category is not null
),

gaps as (
    select
        shop_id,
        cycle_level,
        item_id,
        member_id,
        {{ dbt.datediff(
            'lag(ordered_date) over (partition by shop_id, cycle_level, item_id, member_id order by ordered_date)',
            'ordered_date', 'day') }} as days_since_previous_purchase
    from item_days
),

final as (
    select
        shop_id,
        cycle_level,
        item_id,
        count(distinct member_id) as repeat_members,
        count(*) as repurchase_gaps,
        {{ member_analytics.median('days_since_previous_purchase') }} as median_repurchase_days,
        {{ member_analytics.forecast_round('avg(cast(days_since_previous_purchase as double))', 6) }}
            as mean_repurchase_days
    from gaps
    where days_since_previous_purchase is not null
    group by shop_id, cycle_level, item_id
)

select * from final
