-- One row per shop, cycle level, item and member and day with a valid purchase
-- holding the item (macro item_purchase_days): cycle_level 'product' (item_id a
-- product_id) and 'category' (item_id a category; products without one left
-- out). Computed once for the repurchase cycles (fct_audience_item_cycles) and
-- the repurchase_due audience (fct_audience_repurchase_due), which each
-- computed it (docs/decisions/0122).
with

order_items as (
    select * from {{ ref('fct_order_items') }}
    where is_valid_purchase
),

products as (
    select * from {{ ref('dim_products') }}
),

item_days as (
    {{ member_analytics.item_purchase_days('order_items', 'products') }}
),

final as (
    select
        shop_id,
        cycle_level,
        item_id,
        member_id,
        ordered_date
    from item_days
)

select * from final
