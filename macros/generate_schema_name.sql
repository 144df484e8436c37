{#- A node's schema (docs/decisions/0127); described in _macros.yml. Standalone, and in a
    project that installs this one as a package with var member_analytics__package_schema_layout
    true: the folder's schema name as is (marts, not <target>_marts). Otherwise, in such a
    project, the root project's generate_schema_name (dbt's default when it has none). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if project_name == 'member_analytics' or member_analytics.package_schema_layout() -%}
        {%- if custom_schema_name is none -%}
            {{ target.schema }}
        {%- else -%}
            {{ custom_schema_name | trim }}
        {%- endif -%}
    {%- else -%}
        {#- dbt calls a package's own generate_schema_name for the package's nodes; this one
            hands them to the root project's (its macros are context[<root project name>]) -#}
        {%- set root_macro = (context.get(project_name) or {}).get('generate_schema_name') -%}
        {%- if root_macro is not none -%}
            {{ root_macro(custom_schema_name, node) }}
        {%- else -%}
            {{ dbt.generate_schema_name(custom_schema_name, node) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- Var member_analytics__package_schema_layout as a boolean (true, 'true'); described in _macros.yml. -#}
{% macro package_schema_layout() %}
    {% set value = var('member_analytics__package_schema_layout', false) %}
    {{ return(value is sameas true or (value | string | lower | trim) == 'true') }}
{% endmacro %}
