{#- Grants on open-source Spark (docs/decisions/0008); described in _spark__macros.yml. -#}
{% macro spark__apply_grants(relation, grant_config, should_revoke=True) %}
    {% set grantees = [] %}
    {% for privilege, roles in (grant_config or {}).items() %}
        {% do grantees.extend(roles) %}
    {% endfor %}
    {#- dbt-spark's method as text ('http', 'odbc', or an enum's name holding it) -#}
    {% set method = (target.method | string | lower) if target.method is defined else '' %}
    {% if grantees | length > 0 or 'http' in method or 'odbc' in method %}
        {% do default__apply_grants(relation, grant_config, should_revoke) %}
    {% endif %}
{% endmacro %}
