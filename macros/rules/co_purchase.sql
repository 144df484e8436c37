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
