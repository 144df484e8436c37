{#- Grants on Spark: nothing to do when no role is named (var
    member_analytics__bi_reader_roles empty, the default). dbt's apply_grants would
    still run `show grants` on a table that already exists (a second build into the
    same warehouse, such as the daily run), and open-source Spark has no such
    statement. With roles named, dbt-spark's own behaviour (Databricks applies them). -#}
{% macro spark__apply_grants(relation, grant_config, should_revoke=True) %}
    {% set grantees = [] %}
    {% for privilege, roles in (grant_config or {}).items() %}
        {% do grantees.extend(roles) %}
    {% endfor %}
    {% if grantees | length > 0 %}
        {% do default__apply_grants(relation, grant_config, should_revoke) %}
    {% endif %}
{% endmacro %}
