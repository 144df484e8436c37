-- Question: "Which product pairs should we sell as a set, and what would the
-- set cost at list price?" One row per shop and bundle candidate among the
-- shop's five best (rpt_bundle_candidates: high lift and enough support),
-- best first.
with

bundles as (
    select * from {{ ref('rpt_bundle_candidates') }}
),

final as (
    select
        shop_id,
        bundle_rank,
        product_id_a,
        product_name_a,
        product_id_b,
        product_name_b,
        n_ab as baskets_with_both,
        support,
        lift,
        combined_price
    from bundles
    where bundle_rank <= 5
)

select * from final
order by shop_id asc, bundle_rank asc
