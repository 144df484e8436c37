{#- Grants on open-source Spark (dbt-spark's `session` and `thrift` methods): nothing
    to do when no role is named (var member_analytics__bi_reader_roles empty, the
    default). dbt's apply_grants would still run `show grants` on a table that already
    exists (a second build into the same warehouse, such as the daily run), and
    open-source Spark has no such statement. With roles named, or through Databricks
    (`http`/`odbc` methods), dbt-spark's own behaviour: there `show grants` works and
    revoking the grants of roles no longer named must still happen. -#}
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
