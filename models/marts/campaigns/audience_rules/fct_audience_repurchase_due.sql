-- One row per shop, member and evaluation day (as_of_date and the day before)
-- on which the member is due to buy a product or a category again: the days
-- since the member's last purchase day of it are at least the var's minimum
-- and below its maximum multiple of its repurchase cycle as it stood that day
-- (fct_audience_item_cycles: the median gap between consecutive purchase days
-- of it over its repeat buyers, from the purchase days up to that day), the
-- cycle measured on at least the var's minimum of repeat
-- buyers. One item per member and day: a product before a category, then the
-- longest wait in cycles, then the item id (docs/decisions/0122). Refund status
-- as of as_of_date on both days, as for every audience fact (decision 0060).
-- The facts of the audience repurchase_due (fct_audience_candidates).
{%- set day_before = member_analytics.add_days(member_analytics.as_of_date(), -1) %}

with

-- each member's last purchase day of each item (fct_audience_item_purchase_days),
-- by as_of_date and by the day before: the purchase days end on as_of_date, so by
-- the day before it is the last one, or the one before it when the last is
-- as_of_date itself
member_items as (
    select
        shop_id,
        cycle_level,
        item_id,
        member_id,
        purchase_date as last_purchase_date,
        case
            when purchase_date <= {{ day_before }} then purchase_date
            else previous_purchase_date
        end as last_purchase_date_day_before
    from {{ ref('fct_audience_item_purchase_days') }}
    where is_last_purchase_day
),

products as (
    select * from {{ ref('dim_products') }}
),

item_cycles as (
    select * from {{ ref('fct_audience_item_cycles') }}
),

-- each member's items with their cycles, joined once
member_item_cycles as (
    select
        member_items.shop_id,
        member_items.member_id,
        member_items.cycle_level,
        member_items.item_id,
        member_items.last_purchase_date,
        member_items.last_purchase_date_day_before,
        item_cycles.median_repurchase_days,
        item_cycles.median_repurchase_days_day_before,
        item_cycles.repeat_members,
        item_cycles.repeat_members_day_before
    from member_items
    inner join item_cycles
        on
            member_items.shop_id = item_cycles.shop_id
            and member_items.cycle_level = item_cycles.cycle_level
            and member_items.item_id = item_cycles.item_id
),

-- each member's items on each day: the last purchase and the cycle as they
-- stood that day. Two branches, not a cross join with the two days: DuckDB
-- 2.0.0 fails that cross product at the large scale with an internal error
-- ("dict-surviving cache: global dictionary column 7 changed identity";
-- docs/decisions/0128)
evaluated as (
    select
        shop_id,
        member_id,
        cycle_level,
        item_id,
        {{ member_analytics.as_of_date() }} as evaluation_date,
        true as is_as_of_date,
        last_purchase_date,
        median_repurchase_days as cycle_days,
        repeat_members
    from member_item_cycles
    union all
    select
        shop_id,
        member_id,
        cycle_level,
        item_id,
        {{ day_before }} as evaluation_date,
        false as is_as_of_date,
        last_purchase_date_day_before as last_purchase_date,
        median_repurchase_days_day_before as cycle_days,
        repeat_members_day_before as repeat_members
    from member_item_cycles
),

due as (
    select
        *,
        cast({{ dbt.datediff('last_purchase_date', 'evaluation_date', 'day') }} as int) as days_since_purchase
    from evaluated
    where repeat_members >= {{ member_analytics.audience_var('repurchase_cycle_min_members') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by shop_id, member_id, evaluation_date
            order by
                case when cycle_level = 'product' then 0 else 1 end,
                days_since_purchase / cycle_days desc,
                item_id
        ) as due_rank
    from due
    where
        days_since_purchase >= {{ member_analytics.audience_var('repurchase_due_min_cycles') }} * cycle_days
        and days_since_purchase < {{ member_analytics.audience_var('repurchase_due_max_cycles') }} * cycle_days
),

final as (
    select
        ranked.shop_id,
        ranked.member_id,
        ranked.evaluation_date,
        ranked.is_as_of_date,
        ranked.cycle_level,
        ranked.item_id,
        coalesce(case when ranked.cycle_level = 'product' then products.product_name end, ranked.item_id) as item_name,
        case when ranked.cycle_level = 'product' then products.category else ranked.item_id end as category,
        case when ranked.cycle_level = 'product' then ranked.item_id end as product_id,
        case when ranked.cycle_level = 'product' then products.product_name end as product_name,
        ranked.last_purchase_date,
        ranked.days_since_purchase,
        ranked.cycle_days,
        ranked.repeat_members
    from ranked
    left join products
        on
            ranked.cycle_level = 'product'
            and ranked.shop_id = products.shop_id
            and ranked.item_id = products.product_id
    where ranked.due_rank = 1
)

select * from final
