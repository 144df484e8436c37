-- One row per shop and brand pair (brand_a < brand_b) bought together:
-- the brand level of int_basket_item_pairs_counted, the same counts and
-- ratios as fct_product_pairs with the brand as the item. A basket holds a
-- brand once however many of its products share it; a product without
-- brand counts as 'unknown'. Baskets, the oversized rule and the thresholds
-- are those of fct_product_pairs (docs/decisions/0020).
with

brand_pairs as (
    select * from {{ ref('int_basket_item_pairs_counted') }}
    where item_level = 'brand'
),

final as (
    select
        shop_id,
        item_a as brand_a,
        item_b as brand_b,
        n_a,
        n_b,
        n_ab,
        n,
        number_of_oversized_baskets,
        support,
        confidence_a_to_b,
        confidence_b_to_a,
        lift,
        leverage,
        conviction,
        conviction_b_to_a,
        jaccard
    from brand_pairs
)

select * from final
