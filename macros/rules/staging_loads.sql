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
        'campaign_sends': [('shop_id', 'shop_id', false), ('send_id', 'send_id', false)],
        'campaign_assignments': [('shop_id', 'shop_id', false), ('member_id', 'member_id', false)],
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
    {% set keys_relation = member_analytics.staging_keys_relation(table_name) %}
    {% if not execute or not incremental or member_analytics.staging_full_recompute(versions, relation) %}
        {#- no key list: the hooks record this build's staging of the table as full -#}
        {% if execute and versions %}
            {% do run_query("drop table if exists " ~ keys_relation) %}
        {% endif %}
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
    {#- the keys staged again, listed once: the model, its hooks and the change ledger
        (staged_changes) read the list -#}
    {% do run_query("create or replace table " ~ keys_relation ~ " as select distinct staging_key from ("
        ~ new_keys ~ " union all " ~ staged_keys ~ ") as touched_keys") %}
    {% set read = new | list %}
    {% for row in run_query("select distinct staged.load_location from " ~ relation ~ " as staged"
            ~ " inner join " ~ member_analytics.staging_versions_relation(table_name)
            ~ " on load_versions.location = staged.load_location and load_versions.version = staged.load_version"
            ~ " where staged.staging_key in (select staging_key from " ~ keys_relation ~ ")").rows if row[0] not in read %}
        {% do read.append(row[0]) %}
    {% endfor %}
    {% do log("member_analytics: " ~ relation.identifier ~ " reads " ~ read | length ~ " of " ~ versions | length
        ~ " loads (" ~ new | length ~ " new or changed)", info=true) %}
    {{ return({'mode': 'delta', 'versions': versions, 'source_filter': member_analytics.location_in(read | sort),
               'key_filter': "staging_key in (select staging_key from " ~ keys_relation ~ ")"}) }}
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
    {% for statement in member_analytics.staged_changes_statements(table_name, 'replaced') %}
        {{ statement }};
    {% endfor %}
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
        );
    {% endif %}
    {% for statement in member_analytics.staged_changes_statements(table_name, 'staged') %}
        {{ statement }};
    {% endfor %}
{% endmacro %}


{#- The list of the keys a delta build stages again (landing.staging_keys__<table>),
    written by staging_loads and gone after a full one. -#}
{% macro staging_keys_relation(table_name) -%}
    {{ member_analytics.landing_schema() }}.staging_keys__{{ table_name }}
{%- endmacro %}


{#- The change ledger landing.staged_changes (docs/decisions/0119): one row per row a
    staging build replaced or staged again, with the member, order and product it
    concerns and its earliest date, or one row 'full' for a table staged in full; kept
    until a build of the marts has read it (rpt_incremental_runs). -#}
{% macro staged_changes_relation() -%}
    {{ member_analytics.landing_schema() }}.staged_changes
{%- endmacro %}


{#- What a staging row tells the ledger (SQL select list): shop, member, order, product
    (null where the table has none) and the earliest date the row holds. -#}
{% macro staged_change_columns(table_name) -%}
    {%- set columns = {
        'orders': ['member_id', 'order_id', 'null', 'least(cast(ordered_at as date), cast(coalesce(updated_at, ordered_at) as date), cast(coalesce(refunded_at, ordered_at) as date))'],
        'order_items': ['null', 'order_id', 'product_id', 'null'],
        'members': ['member_id', 'null', 'null', 'null'],
        'products': ['null', 'null', 'product_id', 'null'],
        'behavior_events': ['member_id', 'null', 'product_id', 'cast(occurred_at as date)'],
        'service_events': ['member_id', 'order_id', 'product_id', 'cast(occurred_at as date)'],
        'points_events': ['member_id', 'null', 'null', 'cast(occurred_at as date)'],
        'campaign_sends': ['member_id', 'null', 'null', 'cast(sent_at as date)'],
        'campaign_assignments': ['member_id', 'null', 'null', 'assigned_date'],
    }[table_name] -%}
    shop_id,
    cast({{ columns[0] }} as {{ dbt.type_string() }}) as member_id,
    cast({{ columns[1] }} as {{ dbt.type_string() }}) as order_id,
    cast({{ columns[2] }} as {{ dbt.type_string() }}) as product_id,
    cast({{ columns[3] }} as date) as change_date
{%- endmacro %}


{#- A staging hook's ledger statements (a list of SQL): side 'replaced' (pre-hook: the
    rows about to be staged again) or 'staged' (post-hook: the rows staged again), or
    the one 'full' row of a full build (always for tables of var raw_schema, which have no
    loads). None where staging is not incremental. -#}
{% macro staged_changes_statements(table_name, side) %}
    {% if not execute or member_analytics.incremental_materialization() != 'incremental' %}
        {{ return([]) }}
    {% endif %}
    {% set ledger = member_analytics.staged_changes_relation() %}
    {#- a full refresh starts audit.rpt_incremental_runs again at 1: so does the ledger -#}
    {% set previous = none if flags.FULL_REFRESH else member_analytics.incremental_previous_run() %}
    {% set build_number = (previous.build_number + 1) if previous is not none else 1 %}
    {% set keys_relation = member_analytics.staging_keys_relation(table_name) %}
    {% set delta = is_incremental() and run_query(
        "select count(*) from information_schema.tables where table_schema = '" ~ member_analytics.landing_schema()
        ~ "' and table_name = 'staging_keys__" ~ table_name ~ "'").columns[0].values()[0] > 0 %}
    {% set statements = [] %}
    {% if side == 'replaced' %}
        {#- a table of var raw_schema has no loads, so no landing.raw_loads rows: always 'full' -#}
        {% do statements.append("create schema if not exists " ~ member_analytics.landing_schema()) %}
        {% do statements.append("create table if not exists " ~ ledger ~ " (table_name " ~ dbt.type_string()
            ~ ", build_number bigint, change_side " ~ dbt.type_string() ~ ", shop_id " ~ dbt.type_string()
            ~ ", member_id " ~ dbt.type_string() ~ ", order_id " ~ dbt.type_string() ~ ", product_id "
            ~ dbt.type_string() ~ ", change_date date)") %}
        {#- what a build of the marts has read goes (all of it without a previous build) -#}
        {% do statements.append("delete from " ~ ledger ~ " where table_name = '" ~ table_name ~ "'"
            ~ ((" and build_number <= " ~ previous.build_number) if previous is not none else "")) %}
    {% endif %}
    {% if not delta %}
        {% if side == 'replaced' %}
            {% do statements.append("insert into " ~ ledger ~ " (table_name, build_number, change_side) values ('"
                ~ table_name ~ "', " ~ build_number ~ ", 'full')") %}
        {% endif %}
    {% else %}
        {% do statements.append("insert into " ~ ledger ~ " select '" ~ table_name ~ "', " ~ build_number ~ ", '"
            ~ side ~ "', " ~ member_analytics.staged_change_columns(table_name) ~ " from " ~ this
            ~ " where staging_key in (select staging_key from " ~ keys_relation ~ ")") %}
    {% endif %}
    {{ return(statements) }}
{% endmacro %}
