{#- Co-purchase definitions (docs/decisions/0020-0022); described in _rules__macros.yml. -#}

{#- A co-purchase threshold var, checked to be a number. -#}
{% macro co_purchase_var(name) %}
    {{ return(member_analytics.validated_number('member_analytics__co_purchase__' ~ name)) }}
{% endmacro %}


{#- True for an order date inside the analysis window. -#}
{% macro is_in_co_purchase_window(date_expression, as_of_date_expression) -%}
    {%- set window_days = member_analytics.co_purchase_var('window_days') | int -%}
    (
        {{ date_expression }} <= {{ as_of_date_expression }}
        {%- if window_days > 0 %}
            and {{ date_expression }} > cast({{ dbt.dateadd('day', -1 * window_days, as_of_date_expression) }} as date)
        {%- endif %}
    )
{%- endmacro %}


{#- The first date of the analysis window, null for all history. -#}
{% macro co_purchase_window_start_date(as_of_date_expression) -%}
    {%- set window_days = member_analytics.co_purchase_var('window_days') | int -%}
    {%- if window_days > 0 -%}
        cast({{ dbt.dateadd('day', 1 - window_days, as_of_date_expression) }} as date)
    {%- else -%}
        cast(null as date)
    {%- endif -%}
{%- endmacro %}


{#- The pair thresholds: baskets, support and lift. -#}
{% macro is_above_pair_thresholds(n_ab, n_a, n_b, n) -%}
    (
        {{ n_ab }} >= {{ member_analytics.co_purchase_var('min_pair_baskets') }}
        and cast({{ n_ab }} as double) >= {{ member_analytics.co_purchase_var('min_support') }} * cast({{ n }} as double)
        and cast({{ n_ab }} as double) * cast({{ n }} as double)
        >= {{ member_analytics.co_purchase_var('min_lift') }} * cast({{ n_a }} as double) * cast({{ n_b }} as double)
    )
{%- endmacro %}


{#- The market-basket ratios of a pair from its four counts, as doubles. -#}
{% macro pair_ratios(n_ab, n_a, n_b, n) -%}
    cast({{ n_ab }} as double) / cast({{ n }} as double) as support,
    cast({{ n_ab }} as double) / cast({{ n_a }} as double) as confidence_a_to_b,
    cast({{ n_ab }} as double) / cast({{ n_b }} as double) as confidence_b_to_a,
    cast({{ n_ab }} as double) * cast({{ n }} as double)
    / (cast({{ n_a }} as double) * cast({{ n_b }} as double)) as lift,
    cast({{ n_ab }} as double) / cast({{ n }} as double)
    - (cast({{ n_a }} as double) / cast({{ n }} as double)) * (cast({{ n_b }} as double) / cast({{ n }} as double))
    as leverage,
    case
        when {{ n_ab }} < {{ n_a }}
            then (1.0 - cast({{ n_b }} as double) / cast({{ n }} as double))
            / (1.0 - cast({{ n_ab }} as double) / cast({{ n_a }} as double))
    end as conviction,
    case
        when {{ n_ab }} < {{ n_b }}
            then (1.0 - cast({{ n_a }} as double) / cast({{ n }} as double))
            / (1.0 - cast({{ n_ab }} as double) / cast({{ n_b }} as double))
    end as conviction_b_to_a,
    cast({{ n_ab }} as double) / cast({{ n_a }} + {{ n_b }} - {{ n_ab }} as double) as jaccard
{%- endmacro %}


{#- The pair counts of the counted baskets (oversized baskets left out), for
    pairs of products, categories or brands, over the `basket_items` CTE
    (int_basket_items_deduplicated). With `item_expression` none the item is
    the product; otherwise it is that expression over the `products` CTE
    (dim_products), e.g. coalesce(products.brand, 'unknown'), and a basket
    holds each value once. Ends with CTE `kept_pairs`: shop_id, item_a,
    item_b (item_a < item_b), n_a, n_b, n_ab, n, number_of_oversized_baskets
    and the pair_ratios.

    Everything heavy runs on integer keys (basket_key, and an item_key that
    follows (shop_id, item) order, so item_key_a < item_key_b is item_a <
    item_b within a shop); the strings come back only for the kept pairs
    (docs/decisions/0020). -#}
{% macro pair_counts_ctes(item_expression=none) -%}
{%- if item_expression is none %}
items as (
    select
        basket_key,
        basket_size,
        product_key as item_key
    from basket_items
    where not is_oversized
),

item_labels as (
    select distinct
        shop_id,
        product_key as item_key,
        product_id as item
    from basket_items
),
{%- else %}
item_of_product as (
    select
        product_keys.product_key,
        product_keys.shop_id,
        {{ item_expression }} as item
    from (
        select distinct
            shop_id,
            product_id,
            product_key
        from basket_items
    ) as product_keys
    inner join products
        on
            product_keys.shop_id = products.shop_id
            and product_keys.product_id = products.product_id
),

item_labels as (
    select
        shop_id,
        item,
        row_number() over (order by shop_id, item) as item_key
    from (
        select distinct
            shop_id,
            item
        from item_of_product
    ) as distinct_items
),

product_items as (
    select
        item_of_product.product_key,
        item_labels.item_key
    from item_of_product
    inner join item_labels
        on
            item_of_product.shop_id = item_labels.shop_id
            and item_of_product.item = item_labels.item
),

items as (
    select distinct
        basket_items.basket_key,
        basket_items.basket_size,
        product_items.item_key
    from basket_items
    inner join product_items
        on basket_items.product_key = product_items.product_key
    where not basket_items.is_oversized
),
{%- endif %}

basket_totals as (
    select
        shop_id,
        count(distinct case when not is_oversized then basket_key end) as n,
        count(distinct case when is_oversized then basket_key end) as number_of_oversized_baskets
    from basket_items
    group by shop_id
),

item_counts as (
    select
        item_labels.shop_id,
        item_labels.item,
        keyed_counts.item_key,
        keyed_counts.n_item,
        basket_totals.n
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

{#- Only what can be in a kept pair goes into the self-join (each filter is
    implied by the pair thresholds, so none changes the result): items in at
    least min_pair_baskets baskets and at least min_support of them (n_ab is
    at most n_item: the apriori property), of baskets with at least two
    distinct products. -#}
frequent_items as (
    select
        items.basket_key,
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

{#- The self-join of each basket's distinct items with item_a < item_b: its
    cost is the sum over baskets of items², never items of the catalogue². A
    basket belongs to one shop, so item keys of a pair share the shop. -#}
pair_counts as (
    select
        item_a.item_key as item_key_a,
        item_b.item_key as item_key_b,
        count(*) as n_ab
    from frequent_items as item_a
    inner join frequent_items as item_b
        on
            item_a.basket_key = item_b.basket_key
            and item_a.item_key < item_b.item_key
    group by item_a.item_key, item_b.item_key
    having count(*) >= {{ member_analytics.co_purchase_var('min_pair_baskets') }}
),

pairs as (
    select
        counts_a.shop_id,
        counts_a.item as item_a,
        counts_b.item as item_b,
        counts_a.n_item as n_a,
        counts_b.n_item as n_b,
        pair_counts.n_ab,
        basket_totals.n,
        basket_totals.number_of_oversized_baskets
    from pair_counts
    inner join item_counts as counts_a
        on pair_counts.item_key_a = counts_a.item_key
    inner join item_counts as counts_b
        on pair_counts.item_key_b = counts_b.item_key
    inner join basket_totals
        on counts_a.shop_id = basket_totals.shop_id
),

kept_pairs as (
    select
        *,
        {{ member_analytics.pair_ratios('n_ab', 'n_a', 'n_b', 'n') }}
    from pairs
    where {{ member_analytics.is_above_pair_thresholds('n_ab', 'n_a', 'n_b', 'n') }}
)
{%- endmacro %}
