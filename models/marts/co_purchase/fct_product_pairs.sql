-- One row per shop and product pair (product_id_a < product_id_b) bought
-- together in at least min_pair_baskets baskets and above the support and
-- lift thresholds: the four counts, both confidences and the market-basket
-- ratios (macro pair_ratios). Oversized baskets are left out of every count
-- and reported in number_of_oversized_baskets (docs/decisions/0020).
with

basket_items as (
    select * from {{ ref('int_basket_items_deduplicated') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

{{ member_analytics.pair_counts_ctes() }},

final as (
    select
        kept_pairs.shop_id,
        kept_pairs.item_a as product_id_a,
        kept_pairs.item_b as product_id_b,
        products_a.product_name as product_name_a,
        products_b.product_name as product_name_b,
        products_a.category as category_a,
        products_b.category as category_b,
        cast(kept_pairs.n_a as bigint) as n_a,
        cast(kept_pairs.n_b as bigint) as n_b,
        cast(kept_pairs.n_ab as bigint) as n_ab,
        cast(kept_pairs.n as bigint) as n,
        cast(kept_pairs.number_of_oversized_baskets as bigint) as number_of_oversized_baskets,
        kept_pairs.support,
        kept_pairs.confidence_a_to_b,
        kept_pairs.confidence_b_to_a,
        kept_pairs.lift,
        kept_pairs.leverage,
        kept_pairs.conviction,
        kept_pairs.conviction_b_to_a,
        kept_pairs.jaccard
    from kept_pairs
    left join products as products_a
        on
            kept_pairs.shop_id = products_a.shop_id
            and kept_pairs.item_a = products_a.product_id
    left join products as products_b
        on
            kept_pairs.shop_id = products_b.shop_id
            and kept_pairs.item_b = products_b.product_id
)

select * from final
