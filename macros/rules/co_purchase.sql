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
