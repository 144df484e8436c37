-- One row per shop and product pair worth selling as a set: a pair of
-- fct_product_pairs with lift and support at least the bundle vars, both
-- products in the catalogue (a delisted product cannot be sold). Ranked per
-- shop by lift, then support, then the pair key; combined_price is the sum of
-- the two list prices (docs/decisions/0022).
with

pairs as (
    select * from {{ ref('fct_product_pairs') }}
),

products as (
    select * from {{ ref('dim_products') }}
    where is_in_catalog
),

candidates as (
    select
        pairs.*,
        products_a.brand as brand_a,
        products_b.brand as brand_b,
        products_a.list_price as list_price_a,
        products_b.list_price as list_price_b
    from pairs
    inner join products as products_a
        on
            pairs.shop_id = products_a.shop_id
            and pairs.product_id_a = products_a.product_id
    inner join products as products_b
        on
            pairs.shop_id = products_b.shop_id
            and pairs.product_id_b = products_b.product_id
    where
        pairs.lift >= {{ member_analytics.co_purchase_var('bundle_min_lift') }}
        and cast(pairs.n_ab as double) >= {{ member_analytics.co_purchase_var('bundle_min_support') }} * cast(pairs.n as double)
),

final as (
    select
        shop_id,
        product_id_a,
        product_id_b,
        cast(row_number() over (
            partition by shop_id
            order by lift desc, n_ab desc, product_id_a asc, product_id_b asc
        ) as int) as bundle_rank,
        product_name_a,
        product_name_b,
        category_a,
        category_b,
        brand_a,
        brand_b,
        n_a,
        n_b,
        n_ab,
        n,
        cast(list_price_a as decimal(18, 2)) as list_price_a,
        cast(list_price_b as decimal(18, 2)) as list_price_b,
        cast(list_price_a + list_price_b as decimal(18, 2)) as combined_price,
        support,
        confidence_a_to_b,
        confidence_b_to_a,
        lift
    from candidates
)

select * from final
