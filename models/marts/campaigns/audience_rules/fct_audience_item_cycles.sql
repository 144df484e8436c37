-- One row per shop, cycle level (product, category) and item that at least
-- one member bought on two or more purchase days by as_of_date: its repurchase
-- cycle as it stood on as_of_date and on the day before (purchase days up to
-- that day): repeat members, gaps, the median and mean gap
-- (docs/decisions/0122; macro item_repurchase_cycle_ctes), from the members'
-- purchase days of each item (fct_audience_item_purchase_days, docs/decisions/0135).
-- Computed once for the public fct_product_repurchase_cycles (the as_of_date
-- columns) and the repurchase_due audience (both days).
with

item_days as (
    select * from {{ ref('fct_audience_item_purchase_days') }}
),

{{ member_analytics.item_repurchase_cycle_ctes(
    'item_days', day_before=member_analytics.add_days(member_analytics.as_of_date(), -1)
) }},

final as (
    select * from item_cycles
)

select * from final
