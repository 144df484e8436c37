-- Nothing is dropped silently: per shop, valid orders in the window =
-- counted baskets + oversized baskets, and every pair mart carries the same
-- N and oversized count as rpt_co_purchase_baskets; every pair's counts are
-- consistent (n_ab <= n_a, n_b <= N).
with

baskets as (
    select * from {{ ref('rpt_co_purchase_baskets') }}
),

product_pairs as (
    select * from {{ ref('fct_product_pairs') }}
),

category_pairs as (
    select * from {{ ref('fct_category_pairs') }}
),

brand_pairs as (
    select * from {{ ref('fct_brand_pairs') }}
),

pair_counts as (
    select
        'fct_product_pairs' as model_name,
        shop_id,
        n_a,
        n_b,
        n_ab,
        n,
        number_of_oversized_baskets
    from product_pairs
    union all
    select
        'fct_category_pairs' as model_name,
        shop_id,
        n_a,
        n_b,
        n_ab,
        n,
        number_of_oversized_baskets
    from category_pairs
    union all
    select
        'fct_brand_pairs' as model_name,
        shop_id,
        n_a,
        n_b,
        n_ab,
        n,
        number_of_oversized_baskets
    from brand_pairs
)

select
    'totals' as model_name,
    shop_id,
    number_of_valid_orders as counted,
    number_of_baskets + number_of_oversized_baskets as expected
from baskets
where number_of_valid_orders <> number_of_baskets + number_of_oversized_baskets
union all
select
    pair_counts.model_name,
    pair_counts.shop_id,
    pair_counts.n as counted,
    baskets.number_of_baskets as expected
from pair_counts
left join baskets
    on pair_counts.shop_id = baskets.shop_id
where
    baskets.shop_id is null
    or pair_counts.n <> baskets.number_of_baskets
    or pair_counts.number_of_oversized_baskets <> baskets.number_of_oversized_baskets
    or pair_counts.n_ab > pair_counts.n_a
    or pair_counts.n_ab > pair_counts.n_b
    or pair_counts.n_a > pair_counts.n
    or pair_counts.n_b > pair_counts.n
