-- One row per shop and brand pair (brand_a < brand_b) bought together:
-- the same counts and ratios as fct_product_pairs with the brand as the item.
-- A basket holds a brand once however many of its products share it; a
-- product without brand counts as 'unknown'. Baskets, the oversized rule and
-- the thresholds are those of fct_product_pairs (docs/decisions/0020).
with

basket_items as (
    select * from {{ ref('int_basket_items_deduplicated') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

{{ member_analytics.pair_counts_ctes("coalesce(products.brand, 'unknown')") }},

final as (
    select
        shop_id,
        item_a as brand_a,
        item_b as brand_b,
        cast(n_a as bigint) as n_a,
        cast(n_b as bigint) as n_b,
        cast(n_ab as bigint) as n_ab,
        cast(n as bigint) as n,
        cast(number_of_oversized_baskets as bigint) as number_of_oversized_baskets,
        support,
        confidence_a_to_b,
        confidence_b_to_a,
        lift,
        leverage,
        conviction,
        conviction_b_to_a,
        jaccard
    from kept_pairs
)

select * from final
