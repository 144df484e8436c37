{#- The `table` materialization for Spark: build, then swap in (docs/decisions/0008); described in _spark__macros.yml. -#}
{% materialization table, adapter = 'spark', supported_languages=['sql', 'python'] %}
  {%- set language = model['language'] -%}
  {%- set identifier = model['alias'] -%}
  {%- set grant_config = config.get('grants') -%}
  {%- set file_format = config.get('file_format', validator=validation.any[basestring]) -%}

  {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
  {%- set target_relation = api.Relation.create(identifier=identifier, schema=schema, database=database, type='table') -%}
  {%- set swap = file_format not in ['delta', 'iceberg', 'hudi'] and config.get('location_root') is none -%}

  {{ run_hooks(pre_hooks) }}

  {% if swap %}
    {%- set intermediate_relation = api.Relation.create(
        identifier=identifier ~ '__dbt_tmp', schema=schema, database=database, type='table') -%}
    {%- set backup_relation = api.Relation.create(
        identifier=identifier ~ '__dbt_backup', schema=schema, database=database, type='table') -%}
    {#- leftovers of an interrupted run -#}
    {{ adapter.drop_relation(intermediate_relation) }}
    {{ adapter.drop_relation(backup_relation) }}

    {%- call statement('main', language=language) -%}
      {{ create_table_as(False, intermediate_relation, compiled_code, language) }}
    {%- endcall -%}

    {% if old_relation is not none %}
      {#- a view (or table) of the same name: move it aside, drop it after the swap -#}
      {{ adapter.rename_relation(old_relation, backup_relation.incorporate(type=old_relation.type)) }}
    {% endif %}
    {{ adapter.rename_relation(intermediate_relation, target_relation) }}
  {% else %}
    {#- dbt-spark's behaviour -#}
    {% if old_relation is not none %}
      {% set is_delta = (old_relation.is_delta and file_format == 'delta') %}
      {% set is_iceberg = (old_relation.is_iceberg and file_format == 'iceberg') %}
      {% set old_relation_type = old_relation.type %}
    {% else %}
      {% set is_delta = false %}
      {% set is_iceberg = false %}
      {% set old_relation_type = target_relation.type %}
    {% endif %}
    {% if not is_delta and not is_iceberg %}
      {{ adapter.drop_relation(target_relation.incorporate(type=old_relation_type)) }}
    {% endif %}
    {%- call statement('main', language=language) -%}
      {{ create_table_as(False, target_relation, compiled_code, language) }}
    {%- endcall -%}
  {% endif %}

  {% set should_revoke = should_revoke(old_relation, full_refresh_mode=True) %}
  {% do apply_grants(target_relation, grant_config, should_revoke) %}
  {% do persist_docs(target_relation, model) %}
  {% do persist_constraints(target_relation, model) %}

  {{ run_hooks(post_hooks) }}

  {% if swap and old_relation is not none %}
    {{ adapter.drop_relation(backup_relation.incorporate(type=old_relation.type)) }}
  {% endif %}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
