-- Question: "What share of each shop's buyers came back for a second purchase?"
-- One row per shop: buyers (at least one valid purchase by as_of_date), repeat
-- buyers (at least two) and the repeat-purchase rate.
with

orders as (
    select * from {{ ref('fct_orders') }}
),

buyers as (
    select
        shop_id,
        member_id,
        count(*) as number_of_purchases
    from orders
    where is_valid_purchase
    group by shop_id, member_id
),

final as (
    select
        shop_id,
        count(*) as buyers,
        sum(case when number_of_purchases >= 2 then 1 else 0 end) as repeat_buyers,
        sum(case when number_of_purchases >= 2 then 1 else 0 end) * 1.0 / count(*) as repeat_purchase_rate
    from buyers
    group by shop_id
)

select * from final
order by shop_id
