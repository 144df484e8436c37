-- One row per shop, item level (product, category, brand) and pair of items
-- of that level bought together (item_a < item_b, no self-pairs) in at least
-- min_pair_baskets baskets and above the support and lift thresholds: the
-- four counts, the shop's oversized baskets and the market-basket ratios
-- (macros pair_ratios and is_above_pair_thresholds). fct_product_pairs,
-- fct_category_pairs and fct_brand_pairs each select one level
-- (docs/decisions/0020).
--
-- The three levels are one pass over long items: a basket holds each
-- product, category and brand once, and one self-join pairs the items of a
-- basket and level. Everything heavy runs on integers, as the per-mart
-- queries did: item_key is unique over the three levels (the product_key of
-- int_basket_items_deduplicated for products; categories, then brands,
-- numbered after the last product in (shop_id, item) order), so within a
-- shop and level item_key_a < item_key_b exactly when item_a < item_b; and
-- basket_level_key is one integer per basket and level. The strings come
-- back only for the kept pairs.
--
-- A table, not a view: the three pair marts read it, and as a view each
-- would run every level's self-join again.
{{ config(materialized='table') }}

with

basket_items as (
    select * from {{ ref('int_basket_items_deduplicated') }}
),

-- The catalogue's category and brand, read as dim_products reads them (its
-- kept staging rows); a product outside the catalogue has neither.
products as (
    select * from {{ ref('stg_shop__products') }}
    where row_status = 'kept'
),

basket_totals as (
    select
        shop_id,
        count(distinct case when not is_oversized then basket_key end) as n,
        count(distinct case when is_oversized then basket_key end) as number_of_oversized_baskets
    from basket_items
    group by shop_id
),

basket_products as (
    select distinct
        shop_id,
        product_id,
        product_key
    from basket_items
),

-- The category and brand of each basket product: 'unknown' when missing (or
-- for a product outside the catalogue), so no basket is dropped.
basket_product_attributes as (
    select
        basket_products.shop_id,
        basket_products.product_key,
        coalesce(products.category, 'unknown') as category,
        coalesce(products.brand, 'unknown') as brand
    from basket_products
    left join products
        on
            basket_products.shop_id = products.shop_id
            and basket_products.product_id = products.product_id
),

-- One row per basket product and attribute level; level_number 0 is the
-- product itself.
attribute_items as (
    select
        shop_id,
        product_key,
        'category' as item_level,
        1 as level_number,
        category as item
    from basket_product_attributes
    union all
    select
        shop_id,
        product_key,
        'brand' as item_level,
        2 as level_number,
        brand as item
    from basket_product_attributes
),

-- Category and brand keys come after the last product key.
product_key_range as (
    select coalesce(max(product_key), 0) as last_product_key
    from basket_products
),

attribute_labels as (
    select
        distinct_attribute_items.shop_id,
        distinct_attribute_items.item_level,
        distinct_attribute_items.level_number,
        distinct_attribute_items.item,
        product_key_range.last_product_key
        + row_number() over (
            order by
                distinct_attribute_items.level_number,
                distinct_attribute_items.shop_id,
                distinct_attribute_items.item
        ) as item_key
    from (
        select distinct
            shop_id,
            item_level,
            level_number,
            item
        from attribute_items
    ) as distinct_attribute_items
    cross join product_key_range
),

item_labels as (
    select
        shop_id,
        'product' as item_level,
        product_key as item_key,
        product_id as item
    from basket_products
    union all
    select
        shop_id,
        item_level,
        item_key,
        item
    from attribute_labels
),

product_attribute_keys as (
    select
        attribute_items.product_key,
        attribute_labels.level_number,
        attribute_labels.item_key
    from attribute_items
    inner join attribute_labels
        on
            attribute_items.shop_id = attribute_labels.shop_id
            and attribute_items.level_number = attribute_labels.level_number
            and attribute_items.item = attribute_labels.item
),

-- The counted baskets' distinct items of each level: the products as they
-- are, a category or brand once however many of the basket's products share
-- it. basket_level_key = basket_key · 3 + level_number: one integer per
-- basket and level, the self-join's only equality.
items as (
    select
        basket_key * 3 as basket_level_key,
        basket_size,
        product_key as item_key
    from basket_items
    where not is_oversized
    union all
    select distinct
        basket_items.basket_key * 3 + product_attribute_keys.level_number as basket_level_key,
        basket_items.basket_size,
        product_attribute_keys.item_key
    from basket_items
    inner join product_attribute_keys
        on basket_items.product_key = product_attribute_keys.product_key
    where not basket_items.is_oversized
),

item_counts as (
    select
        item_labels.shop_id,
        item_labels.item_level,
        item_labels.item,
        keyed_counts.item_key,
        keyed_counts.n_item,
        basket_totals.n,
        basket_totals.number_of_oversized_baskets
    from (
        select
            item_key,
            count(*) as n_item
        from items
        group by item_key
    ) as keyed_counts
    inner join item_labels
        on keyed_counts.item_key = item_labels.item_key
    inner join basket_totals
        on item_labels.shop_id = basket_totals.shop_id
),

-- Only what can be in a kept pair goes into the self-join (each filter is
-- implied by the pair thresholds, so none changes the result): items in at
-- least min_pair_baskets baskets and at least min_support of them (n_ab is at
-- most n_item: the apriori property), of baskets with at least two distinct
-- products.
frequent_items as (
    select
        items.basket_level_key,
        items.item_key
    from items
    inner join item_counts
        on items.item_key = item_counts.item_key
    where
        items.basket_size >= 2
        and item_counts.n_item >= {{ member_analytics.co_purchase_var('min_pair_baskets') }}
        and cast(item_counts.n_item as double)
        >= {{ member_analytics.co_purchase_var('min_support') }} * cast(item_counts.n as double)
),

-- The self-join of each basket's distinct items of a level with item_a <
-- item_b: its cost is the sum over baskets of items², never items of the
-- catalogue². A basket belongs to one shop, so the items of a pair share the
-- shop and the level.
pair_counts as (
    select
        item_a.item_key as item_key_a,
        item_b.item_key as item_key_b,
        count(*) as n_ab
    from frequent_items as item_a
    inner join frequent_items as item_b
        on
            item_a.basket_level_key = item_b.basket_level_key
            and item_a.item_key < item_b.item_key
    group by item_a.item_key, item_b.item_key
    having count(*) >= {{ member_analytics.co_purchase_var('min_pair_baskets') }}
),

pairs as (
    select
        counts_a.shop_id,
        counts_a.item_level,
        counts_a.item as item_a,
        counts_b.item as item_b,
        counts_a.n_item as n_a,
        counts_b.n_item as n_b,
        pair_counts.n_ab,
        counts_a.n,
        counts_a.number_of_oversized_baskets
    from pair_counts
    inner join item_counts as counts_a
        on pair_counts.item_key_a = counts_a.item_key
    inner join item_counts as counts_b
        on pair_counts.item_key_b = counts_b.item_key
),

kept_pairs as (
    select
        *,
        {{ member_analytics.pair_ratios('n_ab', 'n_a', 'n_b', 'n') }}
    from pairs
    where {{ member_analytics.is_above_pair_thresholds('n_ab', 'n_a', 'n_b', 'n') }}
),

final as (
    select
        shop_id,
        item_level,
        item_a,
        item_b,
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
