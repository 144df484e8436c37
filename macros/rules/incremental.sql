{#- The daily incremental run (docs/decisions/0091-incremental-daily-builds.md).

    State: the last row of audit.rpt_incremental_runs (the previous build's resolved
    as_of_date, latest valid date and a fingerprint of every other threshold var).
    An order has *changed* since that build when any of its rows (any version, kept
    or not) has a date after the earlier of the two as_of_dates (or latest valid dates):
    it was placed, updated or refunded since, or it crosses the as_of_date or the
    validity window. The members holding any version of a changed order are the
    *changed members*; incremental models recompute every row of those members (the
    rule that keeps lifetime and sequence metrics right), never patch rows. Without a
    previous build, or when another threshold var changed, every member is changed. -#}

{#- The materialization of the member-keyed incremental models: incremental where the
    engine can delete a member's rows (DuckDB); a plain table on Spark without
    Delta/Iceberg (no DELETE on Parquet tables), so each run recomputes it in full. -#}
{% macro incremental_materialization() %}
    {{ return(adapter.dispatch('incremental_materialization', 'member_analytics')()) }}
{% endmacro %}

{% macro default__incremental_materialization() %}
    {{ return('incremental') }}
{% endmacro %}

{% macro spark__incremental_materialization() %}
    {{ return('table') }}
{% endmacro %}


{#- Every threshold var except the latest valid date (it moves from day to day and is
    part of the state) and the lookback (it changes no row), as one md5: a change
    means the previous build's rows were computed under other rules. -#}
{% macro incremental_vars_fingerprint() %}
    {% set values = {} %}
    {% for name in member_analytics.threshold_var_names() %}
        {% if name not in ['member_analytics__validation__latest_valid_date', 'member_analytics__incremental__lookback_days'] %}
            {% do values.update({name: var(name)}) %}
        {% endif %}
    {% endfor %}
    {{ return(local_md5(tojson(values, sort_keys=true))) }}
{% endmacro %}


{#- The last row of audit.rpt_incremental_runs (a dict), or none. -#}
{% macro incremental_previous_run() %}
    {% if not execute %}
        {{ return(none) }}
    {% endif %}
    {% set node = graph.nodes.get('model.member_analytics.rpt_incremental_runs') %}
    {% set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) %}
    {% if relation is none %}
        {{ return(none) }}
    {% endif %}
    {% set rows = run_query(
        "select build_number, cast(as_of_date as " ~ dbt.type_string() ~ ") as as_of_date,"
        ~ " cast(latest_valid_date as " ~ dbt.type_string() ~ ") as latest_valid_date, vars_fingerprint"
        ~ " from " ~ relation ~ " order by build_number desc limit 1") %}
    {% if rows | length == 0 %}
        {{ return(none) }}
    {% endif %}
    {{ return({'build_number': rows[0][0], 'as_of_date': rows[0][1], 'latest_valid_date': rows[0][2],
               'vars_fingerprint': rows[0][3]}) }}
{% endmacro %}


{#- The previous build's state to build on (a dict), or none: no previous build, a
    full refresh, or another threshold var than the day's dates changed. `previous`:
    the row incremental_previous_run() returned, when the caller has it already. -#}
{% macro incremental_state(previous='read') %}
    {% if previous == 'read' %}
        {% set previous = member_analytics.incremental_previous_run() %}
    {% endif %}
    {% if flags.FULL_REFRESH or previous is none
        or previous.vars_fingerprint != member_analytics.incremental_vars_fingerprint() %}
        {{ return(none) }}
    {% endif %}
    {{ return(previous) }}
{% endmacro %}


{#- The date from which a row counts as changed: the earliest of the previous and the
    current as_of_date and latest valid date (SQL; a null date without state). -#}
{% macro incremental_changed_after(state) -%}
    {%- if state is none -%}
    cast(null as date)
    {%- else -%}
    least(
        cast('{{ state.as_of_date }}' as date),
        {{ member_analytics.as_of_date() }},
        cast('{{ state.latest_valid_date }}' as date),
        {{ member_analytics.latest_valid_date() }}
    )
    {%- endif -%}
{%- endmacro %}


{#- The latest date of an order row: placed, updated or refunded (SQL). -#}
{% macro order_change_date(ordered_at, updated_at, refunded_at) -%}
    cast(greatest(
        {{ ordered_at }},
        coalesce({{ updated_at }}, {{ ordered_at }}),
        coalesce({{ refunded_at }}, {{ ordered_at }})
    ) as date)
{%- endmacro %}


{#- The orders (shop_id, order_id) with a row dated after `changed_after` (SQL). -#}
{% macro changed_orders(changed_after) -%}
    select distinct
        shop_id,
        order_id
    from {{ ref('stg_shop__orders') }}
    where
        shop_id is not null
        and order_id is not null
        and {{ member_analytics.order_change_date('ordered_at', 'updated_at', 'refunded_at') }} > {{ changed_after }}
{%- endmacro %}


{#- The members (shop_id, member_id) holding any version of a changed order (SQL).
    Empty when there is no previous state: callers then take every member.
    `changed_orders`: a relation (CTE) holding changed_orders() when the caller has
    it already. -#}
{% macro changed_members(state, changed_orders=none) -%}
    select distinct
        versions.shop_id,
        versions.member_id
    from {{ ref('stg_shop__orders') }} as versions
    inner join
        {%- if changed_orders is none %} (
        {{ member_analytics.changed_orders(member_analytics.incremental_changed_after(state)) }}
    ) as changed
        {%- else %} {{ changed_orders }} as changed
        {%- endif %}
        on versions.shop_id = changed.shop_id and versions.order_id = changed.order_id
    where versions.member_id is not null
{%- endmacro %}


{#- A filter on rows of `relation_alias` (with shop_id, member_id): true for the changed
    members; true for every row without state (SQL). -#}
{% macro is_changed_member(state, relation_alias) -%}
    {%- if state is none -%}
    true
    {%- else -%}
    exists (
        select 1
        from ({{ member_analytics.changed_members(state) }}) as changed_members
        where
            changed_members.shop_id = {{ relation_alias }}.shop_id
            and changed_members.member_id = {{ relation_alias }}.member_id
    )
    {%- endif -%}
{%- endmacro %}


{#- pre-hook of a member-keyed incremental model: delete every row of the changed
    members; the model then appends their recomputed rows. Nothing on a full build. -#}
{% macro delete_changed_members() %}
    {% if not execute or not is_incremental() %}
        {{ return('select 1') }}
    {% endif %}
    {% set state = member_analytics.incremental_state() %}
    {% if state is none %}
        {{ return('delete from ' ~ this) }}
    {% endif %}
    {{ return('delete from ' ~ this ~ ' where ' ~ member_analytics.is_changed_member(state, this.identifier)) }}
{% endmacro %}


{#- post-hook of rpt_incremental_runs: a warning in dbt's log when this build applied
    changes to orders placed before the lookback. -#}
{% macro warn_late_changes() %}
    {% if execute %}
        {% set rows = run_query(
            "select number_of_late_changes, number_of_changed_orders, lookback_days from " ~ this
            ~ " order by build_number desc limit 1") %}
        {% if rows | length > 0 and rows[0][0] is not none and rows[0][0] > 0 %}
            {% do exceptions.warn(
                "member_analytics: " ~ rows[0][0] ~ " of the " ~ rows[0][1] ~ " orders changed since the previous"
                ~ " build were placed more than " ~ rows[0][2] ~ " days (var member_analytics__incremental__lookback_days)"
                ~ " before as_of_date: applied (their members recomputed), counted in audit.rpt_incremental_runs") %}
        {% endif %}
    {% endif %}
    {{ return('select 1') }}
{% endmacro %}
