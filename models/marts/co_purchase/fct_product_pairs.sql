-- One row per shop and product pair (product_id_a < product_id_b) bought
-- together in at least min_pair_baskets baskets and above the support and
-- lift thresholds: the product level of int_basket_item_pairs_counted (the
-- four counts, both confidences and the market-basket ratios) with the
-- products' names and categories. Oversized baskets are left out of every
-- count and reported in number_of_oversized_baskets (docs/decisions/0020).
with

product_pairs as (
    select * from {{ ref('int_basket_item_pairs_counted') }}
    where item_level = 'product'
),

-- the catalogue's names, from its kept rows as in dim_products, without the
-- events' staging that dim_products needs (docs/decisions/0020)
products as (
    select * from {{ ref('stg_shop__products') }}
    where row_status = 'kept'
),

final as (
    select
        product_pairs.shop_id,
        product_pairs.item_a as product_id_a,
        product_pairs.item_b as product_id_b,
        products_a.product_name as product_name_a,
        products_b.product_name as product_name_b,
        products_a.category as category_a,
        products_b.category as category_b,
        product_pairs.n_a,
        product_pairs.n_b,
        product_pairs.n_ab,
        product_pairs.n,
        product_pairs.number_of_oversized_baskets,
        product_pairs.support,
        product_pairs.confidence_a_to_b,
        product_pairs.confidence_b_to_a,
        product_pairs.lift,
        product_pairs.leverage,
        product_pairs.conviction,
        product_pairs.conviction_b_to_a,
        product_pairs.jaccard
    from product_pairs
    left join products as products_a
        on
            product_pairs.shop_id = products_a.shop_id
            and product_pairs.item_a = products_a.product_id
    left join products as products_b
        on
            product_pairs.shop_id = products_b.shop_id
            and product_pairs.item_b = products_b.product_id
)

select * from final
