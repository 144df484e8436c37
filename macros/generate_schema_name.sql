{#- Use the folder's schema name as is (staging, intermediate, marts, audit,
    reference) instead of dbt's default "<target schema>_<name>", so BI users
    find marts in a schema called `marts` on every target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
