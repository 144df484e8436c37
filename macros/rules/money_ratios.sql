{#- Money per count to the cent, half up, in integer cents (docs/decisions/0005); described in _rules__macros.yml. -#}
{% macro money_per(amount, divisor) -%}
    cast(
        {{ member_analytics.integer_divide(
            '(2 * cast(' ~ amount ~ ' * 100 as bigint) + ' ~ divisor ~ ')',
            '(2 * ' ~ divisor ~ ')') }} / 100.0
        as decimal(18, 2)
    )
{%- endmacro %}


{#- A ratio of two integers to two decimals, half up. -#}
{% macro ratio_to_hundredths(numerator, denominator) -%}
    cast(
        {{ member_analytics.integer_divide(
            '(200 * cast(' ~ numerator ~ ' as bigint) + cast(' ~ denominator ~ ' as bigint))',
            '(2 * cast(' ~ denominator ~ ' as bigint))') }} / 100.0
        as decimal(10, 2)
    )
{%- endmacro %}
