{#- Co-purchase definitions (docs/decisions/0020-0022), the one place every
    co-purchase model takes its thresholds and formulas from. Arguments are
    column expressions. -#}

{#- A co-purchase threshold var (member_analytics__co_purchase__<name>),
    checked to be a number before it reaches SQL. -#}
{% macro co_purchase_var(name) %}
    {{ return(member_analytics.validated_number('member_analytics__co_purchase__' ~ name)) }}
{% endmacro %}


{#- True for an order date inside the analysis window: on or before
    as_of_date and, unless the window var is 0 (all history), within the
    window's days up to and including as_of_date. -#}
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


{#- The pair thresholds: at least min_pair_baskets baskets with both items,
    support and lift at least their vars. Integer-exact where it can be:
    support >= s is n_ab >= s × N. -#}
{% macro is_above_pair_thresholds(n_ab, n_a, n_b, n) -%}
    (
        {{ n_ab }} >= {{ member_analytics.co_purchase_var('min_pair_baskets') }}
        and cast({{ n_ab }} as double) >= {{ member_analytics.co_purchase_var('min_support') }} * cast({{ n }} as double)
        and cast({{ n_ab }} as double) * cast({{ n }} as double)
        >= {{ member_analytics.co_purchase_var('min_lift') }} * cast({{ n_a }} as double) * cast({{ n_b }} as double)
    )
{%- endmacro %}


{#- The market-basket ratios of a pair from its four counts, as doubles
    (every count is cast before dividing, so DuckDB and Spark agree):
    support = n_ab / N; confidence(A→B) = n_ab / n_a; lift = n_ab·N / (n_a·n_b);
    leverage = n_ab/N − (n_a/N)(n_b/N); conviction(A→B) = (1 − n_b/N) / (1 − n_ab/n_a),
    null when confidence is 1 (decided on the integers: n_ab = n_a);
    jaccard = n_ab / (n_a + n_b − n_ab). -#}
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


{#- Distinct items of the counted baskets (oversized baskets left out), for
    pairs of products, categories or brands: `item_expression` over the
    `basket_items` CTE (joined to `products` when it needs an attribute). -#}
{% macro pair_counts_ctes(item_expression, needs_products) -%}
items as (
    select distinct
        basket_items.shop_id,
        basket_items.order_id,
        {{ item_expression }} as item
    from basket_items
    {%- if needs_products %}
    inner join products
        on
            basket_items.shop_id = products.shop_id
            and basket_items.product_id = products.product_id
    {%- endif %}
    where not basket_items.is_oversized
),

basket_totals as (
    select
        shop_id,
        count(distinct case when not is_oversized then order_id end) as n,
        count(distinct case when is_oversized then order_id end) as number_of_oversized_baskets
    from basket_items
    group by shop_id
),

item_counts as (
    select
        shop_id,
        item,
        count(*) as n_item
    from items
    group by shop_id, item
),

{#- An item in fewer baskets than min_pair_baskets cannot be in a kept pair:
    leave it out before the self-join (the apriori property). -#}
frequent_items as (
    select items.*
    from items
    inner join item_counts
        on
            items.shop_id = item_counts.shop_id
            and items.item = item_counts.item
    where item_counts.n_item >= {{ member_analytics.co_purchase_var('min_pair_baskets') }}
),

{#- The self-join of each basket's distinct items with item_a < item_b: its
    cost is the sum over baskets of items², never items of the catalogue². -#}
pair_counts as (
    select
        item_a.shop_id,
        item_a.item as item_a,
        item_b.item as item_b,
        count(*) as n_ab
    from frequent_items as item_a
    inner join frequent_items as item_b
        on
            item_a.shop_id = item_b.shop_id
            and item_a.order_id = item_b.order_id
            and item_a.item < item_b.item
    group by item_a.shop_id, item_a.item, item_b.item
    having count(*) >= {{ member_analytics.co_purchase_var('min_pair_baskets') }}
),

pairs as (
    select
        pair_counts.shop_id,
        pair_counts.item_a,
        pair_counts.item_b,
        counts_a.n_item as n_a,
        counts_b.n_item as n_b,
        pair_counts.n_ab,
        basket_totals.n,
        basket_totals.number_of_oversized_baskets
    from pair_counts
    inner join item_counts as counts_a
        on
            pair_counts.shop_id = counts_a.shop_id
            and pair_counts.item_a = counts_a.item
    inner join item_counts as counts_b
        on
            pair_counts.shop_id = counts_b.shop_id
            and pair_counts.item_b = counts_b.item
    inner join basket_totals
        on pair_counts.shop_id = basket_totals.shop_id
),

kept_pairs as (
    select
        *,
        {{ member_analytics.pair_ratios('n_ab', 'n_a', 'n_b', 'n') }}
    from pairs
    where {{ member_analytics.is_above_pair_thresholds('n_ab', 'n_a', 'n_b', 'n') }}
)
{%- endmacro %}
