-- Question: "If every recently active member gets a coupon for their next
-- product's category, how many coupons does each category need?" One row per
-- shop and category of the members' first recommendation
-- (fct_member_recommendations rank 1), most members first.
with

recommendations as (
    select * from {{ ref('fct_member_recommendations') }}
    where recommendation_rank = 1
),

final as (
    select
        shop_id,
        coalesce(category, 'unknown') as category,
        count(*) as members,
        avg(score) as average_score
    from recommendations
    group by shop_id, coalesce(category, 'unknown')
)

select * from final
order by shop_id asc, members desc, category asc
