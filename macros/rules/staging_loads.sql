{#- Staging that reads only the loads it has not seen (docs/decisions/0118); described in _rules__macros.yml. -#}


{#- The staging key of a raw row (a 64-bit hash, SQL): a grouping such that every verdict
    staging gives a row (copies, versions, key conflicts) depends only on the rows of its
    key. From a staging model's cleaned columns, or (from_landing) from a landing view's
    columns cleaned the same way (clean_text), so both give the same key. -#}
{% macro staging_key_sql(table_name, from_landing=false) -%}
    {%- set parts = {
        'orders': [('shop_id', 'shop_id', false), ('order_id', 'order_id', false)],
        'order_items': [('shop_id', 'shop_id', false), ('order_id', 'order_id', false)],
        'members': [('shop_id', 'shop_id', false), ('member_id', 'member_id', false)],
        'products': [('shop_id', 'shop_id', false), ('product_id', 'product_id', false)],
        'points_events': [('shop_id', 'shop_id', false), ('member_id', 'member_id', false),
                          ('occurred_at', 'occurred_at_text', false)],
        'service_events': [('shop_id', 'shop_id', false), ('event_id', 'event_id', false),
                           ('member_id', 'member_id', 'event_id'), ('occurred_at', 'occurred_at_text', 'event_id')],
        'behavior_events': [('shop_id', 'shop_id', false), ('member_id', 'member_id', false),
                            ('occurred_at', 'occurred_at_text', false)],
    }.get(table_name) -%}
    {%- if parts is none -%}
    {{ exceptions.raise_compiler_error("member_analytics: no staging key for table " ~ table_name) }}
    {%- endif -%}
    {%- set expressions = [] -%}
    {#- a part is (landing column, cleaned column, gate): occurred_at contributes its first
        ten characters (a day); a gate names a column the part counts only without (service
        events: member and day key the rows without an event_id) -#}
    {%- for landing_column, cleaned_column, how in parts -%}
        {%- set expression = member_analytics.clean_text(landing_column) if from_landing else cleaned_column -%}
        {%- if landing_column == 'occurred_at' -%}
            {%- set expression = 'substr(' ~ expression ~ ', 1, 10)' -%}
        {%- endif -%}
        {%- if how is string -%}
            {%- set gate = member_analytics.clean_text(how) if from_landing else how -%}
            {%- set expression = 'case when ' ~ gate ~ ' is null then ' ~ expression ~ ' end' -%}
        {%- endif -%}
        {%- do expressions.append(expression) -%}
    {%- endfor -%}
    {{ member_analytics.row_key_hash(expressions) }}
{%- endmacro %}


{#- A 64-bit hash of a list of SQL expressions (nulls hash too): dispatched. -#}
{% macro row_key_hash(expressions) %}
    {{ return(adapter.dispatch('row_key_hash', 'member_analytics')(expressions)) }}
{% endmacro %}

{% macro default__row_key_hash(expressions) -%}
    hash({{ expressions | join(', ') }})
{%- endmacro %}

{% macro spark__row_key_hash(expressions) -%}
    xxhash64({{ expressions | join(', ') }})
{%- endmacro %}


{#- The current loads of a table as staging records them, a dict load location → version
    (size and modification time, which the on-run-start hook wrote to landing.raw_loads);
    empty for tables of var raw_schema and where staging is not incremental (Spark). -#}
{% macro staging_load_versions(table_name) %}
    {% set versions = {} %}
    {#- landing.raw_loads by name, not source(): a unit test of the model has no such input -#}
    {% set raw_loads = adapter.get_relation(database=target.database, schema=member_analytics.landing_schema(),
        identifier='raw_loads') if execute else none %}
    {% if raw_loads is none or member_analytics.incremental_materialization() != 'incremental' %}
        {{ return(versions) }}
    {% endif %}
    {% for row in run_query("select load_location, load_version from " ~ raw_loads ~ " where table_name = '"
            ~ table_name ~ "' and load_version is not null order by load_number").rows %}
        {% do versions.update({row[0]: row[1]}) %}
    {% endfor %}
    {{ return(versions) }}
{% endmacro %}


{#- The loads a staging table holds, as a dict location -> version (its rows' distinct
    load_location and load_version). -#}
{% macro staged_load_versions(relation) %}
    {% set staged = {} %}
    {% for row in run_query("select distinct load_location, load_version from " ~ relation).rows %}
        {% do staged.update({row[0]: row[1]}) %}
    {% endfor %}
    {{ return(staged) }}
{% endmacro %}


{#- Whether a staging model that exists stages every row again (true) or only the keys
    its new loads touch: every row when the previous build's vars or code differ
    (incremental_state is none), when the rows come from tables of var raw_schema (no
    loads to tell apart), or when every current load is new or changed (a snapshot file
    that changed: reading all of it again is the cheaper way). -#}
{% macro staging_full_recompute(versions, relation) %}
    {% if not versions or member_analytics.incremental_state() is none %}
        {{ return(true) }}
    {% endif %}
    {% set staged = member_analytics.staged_load_versions(relation) %}
    {% for location, version in versions.items() if staged.get(location) == version %}
        {{ return(false) }}
    {% endfor %}
    {{ return(true) }}
{% endmacro %}


{#- What a staging model reads this time (a dict):
    - mode 'full': every row (first build, full refresh, or staging_full_recompute);
    - mode 'delta': the keys touched since the build that staged the table as it is: the
      keys of the rows of new loads (a location not staged, or staged with another size or
      modification time), of rows staged from loads that are gone or changed, and of rows
      whose date-window verdict the current window changes; read from the new loads and the
      loads that hold those keys' other rows, and nothing else.
    source_filter and key_filter are SQL conditions on the landing rows and the typed rows;
    versions maps each current load's location to its version. -#}
{% macro staging_loads(table_name, date_column, incremental, relation, more_keys=none) %}
    {% set versions = member_analytics.staging_load_versions(table_name) %}
    {% set full = {'mode': 'full', 'versions': versions, 'source_filter': 'true', 'key_filter': 'true'} %}
    {% if not execute or not incremental or member_analytics.staging_full_recompute(versions, relation) %}
        {{ return(full) }}
    {% endif %}
    {% set staged = member_analytics.staged_load_versions(relation) %}
    {% set new = [] %}
    {% for location, version in versions.items() if staged.get(location) != version %}
        {% do new.append(location) %}
    {% endfor %}
    {% set staged_keys %}
        select staged.staging_key
        from {{ relation }} as staged
        where not exists (
            select 1 from {{ member_analytics.staging_versions_relation(table_name) }}
            where load_versions.location = staged.load_location and load_versions.version = staged.load_version
        )
        {%- if date_column %}
        union all
        select staging_key
        from {{ relation }}
        where {{ member_analytics.staging_window_changed(date_column) }}
        {%- endif %}
        {%- if more_keys %}
        union all
        {{ more_keys }}
        {%- endif %}
    {% endset %}
    {% set new_keys %}
        select {{ member_analytics.staging_key_sql(table_name, from_landing=true) }} as staging_key
        from {{ source('shop', table_name) }}
        where {{ member_analytics.location_in(new) }}
    {% endset %}
    {% set read = new | list %}
    {% for row in run_query("select distinct staged.load_location from " ~ relation ~ " as staged"
            ~ " inner join " ~ member_analytics.staging_versions_relation(table_name)
            ~ " on load_versions.location = staged.load_location and load_versions.version = staged.load_version"
            ~ " where staged.staging_key in (" ~ new_keys ~ " union all " ~ staged_keys ~ ")").rows if row[0] not in read %}
        {% do read.append(row[0]) %}
    {% endfor %}
    {% do log("member_analytics: " ~ relation.identifier ~ " reads " ~ read | length ~ " of " ~ versions | length
        ~ " loads (" ~ new | length ~ " new or changed)", info=true) %}
    {{ return({'mode': 'delta', 'versions': versions, 'source_filter': member_analytics.location_in(read | sort),
               'key_filter': "staging_key in (select staging_key from typed where " ~ member_analytics.location_in(new)
               ~ " union all " ~ staged_keys ~ ")"}) }}
{% endmacro %}


{#- raw_load_location in a list of locations (false for none): a filter DuckDB applies to
    the files themselves, reading only those listed. -#}
{% macro location_in(locations) -%}
    {%- if not locations -%}
    false
    {%- else -%}
    raw_load_location in ({% for location in locations %}{{ member_analytics.string_literal(location) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}


{#- The current loads of a table and their versions as a relation load_versions
    (location, version), from landing.raw_loads. -#}
{% macro staging_versions_relation(table_name) -%}
    (
        select
            load_location as location,
            load_version as version
        from {{ member_analytics.landing_schema() }}.raw_loads
        where table_name = {{ member_analytics.string_literal(table_name) }} and load_version is not null
    ) as load_versions
{%- endmacro %}


{#- The version of a staged row's load (SQL for the select list) and the join it needs:
    a literal for one load (a snapshot) or none (a table), the joined version for more. -#}
{% macro load_version_column(versions) -%}
    {%- if versions | length > 1 -%}
    load_versions.version
    {%- elif versions -%}
    cast({{ member_analytics.string_literal(versions.values() | first) }} as {{ dbt.type_string() }})
    {%- else -%}
    cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}

{% macro load_versions_join(relation_alias, table_name, versions) -%}
    {%- if versions | length > 1 -%}
    left join {{ member_analytics.staging_versions_relation(table_name) }}
        on {{ relation_alias }}.raw_load_location = load_versions.location
    {%- endif -%}
{%- endmacro %}


{#- A staged row whose date-window verdict the current window changes: it passed every
    other check, and its stored date verdict differs from the current one (SQL). -#}
{% macro staging_window_changed(date_column) -%}
    (
        (rejection_reason is null or rejection_reason in (
            'date_before_earliest', 'date_after_latest', 'duplicate_key', 'latest_version_rejected'))
        and coalesce(case when rejection_reason in ('date_before_earliest', 'date_after_latest') then rejection_reason end, '-')
        <> coalesce({{ member_analytics.date_window_reason(date_column) }}, '-')
    )
{%- endmacro %}


{#- Before a staging model's insert: on a full recompute of an existing table, empty it. -#}
{% macro staging_loads_pre_hook(table_name) %}
    {% if execute and is_incremental()
        and member_analytics.staging_full_recompute(member_analytics.staging_load_versions(table_name), this) %}
        delete from {{ this }}
    {% endif %}
{% endmacro %}


{#- After a staging model's insert: drop the rows of loads that are gone or changed (their
    keys were staged again from the current loads). -#}
{% macro staging_loads_post_hook(table_name) %}
    {% set versions = member_analytics.staging_load_versions(table_name) if execute else {} %}
    {% if execute and is_incremental() and versions %}
        delete from {{ this }} as staged
        where not exists (
            select 1 from {{ member_analytics.staging_versions_relation(table_name) }}
            where load_versions.location = staged.load_location and load_versions.version = staged.load_version
        )
    {% endif %}
{% endmacro %}
