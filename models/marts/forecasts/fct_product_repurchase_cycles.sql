-- One row per shop, cycle level and item with at least one member who bought
-- it on two or more purchase days by as_of_date: per product (cycle_level
-- 'product') and per category ('category'), the median days between a
-- member's consecutive purchase days of it, over every such gap of the
-- members with at least two (docs/decisions/0122). A purchase day of an item
-- is a day with a valid purchase holding it. The cycle the repurchase_due
-- audience measures a member's wait against: both read the cycles measured
-- once in audience_rules.fct_audience_item_cycles (as of as_of_date here).
with

item_cycles as (
    select * from {{ ref('fct_audience_item_cycles') }}
),

final as (
    select
        shop_id,
        cycle_level,
        item_id,
        repeat_members,
        repurchase_gaps,
        median_repurchase_days,
        {{ member_analytics.forecast_round('mean_repurchase_days', 6) }} as mean_repurchase_days
    from item_cycles
)

select * from final
