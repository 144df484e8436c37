-- One row per shop, product and recommended "also bought" product: the top
-- recommendations_per_product products by score = confidence(product →
-- recommended), among the pairs of fct_product_pairs with a lift above
-- recommendation_min_lift whose recommended product is in the catalogue.
-- Ties: higher lift, then the recommended product id (docs/decisions/0022).
with

pairs as (
    select * from {{ ref('fct_product_pairs') }}
    where lift > {{ member_analytics.co_purchase_var('recommendation_min_lift') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

directed as (
    select
        shop_id,
        product_id_a as product_id,
        product_id_b as recommended_product_id,
        n_a as n_product,
        n_ab,
        n,
        confidence_a_to_b as confidence,
        lift
    from pairs
    union all
    select
        shop_id,
        product_id_b as product_id,
        product_id_a as recommended_product_id,
        n_b as n_product,
        n_ab,
        n,
        confidence_b_to_a as confidence,
        lift
    from pairs
),

sellable as (
    select directed.*
    from directed
    inner join products
        on
            directed.shop_id = products.shop_id
            and directed.recommended_product_id = products.product_id
    where products.is_in_catalog
),

ranked as (
    select
        *,
        row_number() over (
            partition by shop_id, product_id
            order by confidence desc, lift desc, recommended_product_id asc
        ) as recommendation_rank
    from sellable
),

final as (
    select
        ranked.shop_id,
        ranked.product_id,
        ranked.recommended_product_id,
        cast(ranked.recommendation_rank as int) as recommendation_rank,
        products.product_name,
        recommended.product_name as recommended_product_name,
        recommended.category as recommended_category,
        cast(ranked.n_product as bigint) as n_product,
        cast(ranked.n_ab as bigint) as n_ab,
        cast(ranked.n as bigint) as n,
        ranked.confidence as score,
        ranked.confidence,
        ranked.lift
    from ranked
    left join products
        on
            ranked.shop_id = products.shop_id
            and ranked.product_id = products.product_id
    left join products as recommended
        on
            ranked.shop_id = recommended.shop_id
            and ranked.recommended_product_id = recommended.product_id
    where ranked.recommendation_rank <= {{ member_analytics.co_purchase_var('recommendations_per_product') }}
)

select * from final
