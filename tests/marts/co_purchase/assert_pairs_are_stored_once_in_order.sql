-- Pairs are stored once, item a before item b, never an item with itself:
-- every row of the three pair marts has a < b.
with

product_pairs as (
    select * from {{ ref('fct_product_pairs') }}
),

category_pairs as (
    select * from {{ ref('fct_category_pairs') }}
),

brand_pairs as (
    select * from {{ ref('fct_brand_pairs') }}
)

select
    'fct_product_pairs' as model_name,
    shop_id,
    product_id_a as item_a,
    product_id_b as item_b
from product_pairs
where not product_id_a < product_id_b
union all
select
    'fct_category_pairs' as model_name,
    shop_id,
    category_a as item_a,
    category_b as item_b
from category_pairs
where not category_a < category_b
union all
select
    'fct_brand_pairs' as model_name,
    shop_id,
    brand_a as item_a,
    brand_b as item_b
from brand_pairs
where not brand_a < brand_b
