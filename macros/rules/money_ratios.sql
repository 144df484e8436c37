{#- Money divided by a count, to the cent, rounded half up, in integer cents
    (dispatched integer division) so DuckDB and Spark agree: DuckDB divides
    decimals in double precision and Spark in decimal (docs/decisions/0005).
    For non-negative amounts (net revenue never goes below zero). -#}
{% macro money_per(amount, divisor) -%}
    cast(
        {{ member_analytics.integer_divide(
            '(2 * cast(' ~ amount ~ ' * 100 as bigint) + ' ~ divisor ~ ')',
            '(2 * ' ~ divisor ~ ')') }} / 100.0
        as decimal(18, 2)
    )
{%- endmacro %}


{#- A ratio of two non-negative integers (denominator > 0) to two decimals,
    rounded half up, in integer arithmetic so DuckDB and Spark agree. -#}
{% macro ratio_to_hundredths(numerator, denominator) -%}
    cast(
        {{ member_analytics.integer_divide(
            '(200 * cast(' ~ numerator ~ ' as bigint) + cast(' ~ denominator ~ ' as bigint))',
            '(2 * cast(' ~ denominator ~ ' as bigint))') }} / 100.0
        as decimal(10, 2)
    )
{%- endmacro %}
