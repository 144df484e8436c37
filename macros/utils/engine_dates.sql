{#- Calendar parts where DuckDB and Spark differ (docs/decisions/0051); described in _utils__macros.yml. -#}

{#- ISO weekday: 1 = Monday … 7 = Sunday. -#}
{% macro iso_weekday(expression) %}
    {{ return(adapter.dispatch('iso_weekday', 'member_analytics')(expression)) }}
{% endmacro %}

{% macro default__iso_weekday(expression) -%}
    cast(isodow({{ expression }}) as int)
{%- endmacro %}

{% macro spark__iso_weekday(expression) -%}
    cast(((dayofweek({{ expression }}) + 5) % 7) + 1 as int)
{%- endmacro %}


{#- Hour of day of a timestamp, 0–23. -#}
{% macro hour_of_day(expression) %}
    {{ return(adapter.dispatch('hour_of_day', 'member_analytics')(expression)) }}
{% endmacro %}

{% macro default__hour_of_day(expression) -%}
    cast(extract(hour from {{ expression }}) as int)
{%- endmacro %}

{% macro spark__hour_of_day(expression) -%}
    cast(hour({{ expression }}) as int)
{%- endmacro %}
