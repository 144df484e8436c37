{#- The daily incremental run (docs/decisions/0091-incremental-daily-builds.md).

    State: the last row of audit.rpt_incremental_runs (the previous build's resolved
    as_of_date, latest valid date and a fingerprint of every other threshold var and
    of the code). An order has *changed* since that build
    (audit.int_incremental_changed_orders) when any of its rows (any version, kept or
    not) has a date on or after the earlier of the two as_of_dates (or latest valid
    dates): it was placed, updated or refunded since, or it crosses the as_of_date or
    the validity window; or when its kept raw row differs from the row the previous
    build left in fct_orders (rewritten, added or removed without a later updated_at).
    The members holding any version of a changed order, in the raw data or in the
    previous fct_orders, are the *changed members* (audit.int_incremental_changed_members);
    incremental models recompute every row of those members (the rule that keeps
    lifetime and sequence metrics right), never patch rows. Without a previous build,
    or when a threshold var or the code changed, every member is changed. -#}

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
    part of the state) and the lookback (it changes no row), and the code that computes
    fct_orders' rows, as one md5: a change means the previous build's rows were computed
    under other rules. The code is every project macro's text (the rules live there)
    and the checksum of fct_orders and of every model and seed upstream of it, so a
    deploy that changes how an order is staged, kept or valued recomputes every member
    on its next run instead of leaving rows computed by the old code. -#}
{% macro incremental_vars_fingerprint() %}
    {% set values = {} %}
    {% for name in member_analytics.threshold_var_names() %}
        {% if name not in ['member_analytics__validation__latest_valid_date', 'member_analytics__incremental__lookback_days'] %}
            {% do values.update({name: var(name)}) %}
        {% endif %}
    {% endfor %}
    {% do values.update({'code': member_analytics.incremental_code_fingerprint(), 'dbt_version': dbt_version}) %}
    {{ return(local_md5(tojson(values, sort_keys=true))) }}
{% endmacro %}


{#- md5 of every project macro's text and of the checksums of fct_orders and the models
    and seeds it reads, directly or not (empty while dbt parses). -#}
{% macro incremental_code_fingerprint() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set parts = [] %}
    {% set macros = context['member_analytics'] %}
    {% for name in macros.keys() | sort %}
        {% do parts.append(name ~ ':' ~ local_md5(macros[name].macro.macro_sql)) %}
    {% endfor %}
    {% set upstream = ['model.member_analytics.fct_orders'] %}
    {% for _ in range(20) %}
        {% for unique_id in upstream | list %}
            {% for parent in graph.nodes[unique_id].depends_on.nodes
                if parent in graph.nodes and parent not in upstream %}
                {% do upstream.append(parent) %}
            {% endfor %}
        {% endfor %}
    {% endfor %}
    {% for unique_id in upstream | sort %}
        {% do parts.append(unique_id ~ ':' ~ graph.nodes[unique_id].checksum.checksum) %}
    {% endfor %}
    {{ return(local_md5(parts | join('\n'))) }}
{% endmacro %}


{#- The last row of audit.rpt_incremental_runs (a dict), or none. -#}
{% macro incremental_previous_run() %}
    {% if not execute %}
        {{ return(none) }}
    {% endif %}
    {% set relation = member_analytics.built_relation('rpt_incremental_runs') %}
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


{#- The orders (shop_id, order_id) with a row dated on or after `changed_after` (SQL).
    On, not only after: the previous build's as_of_date is often the day its export was
    taken, so that day's later rows (orders placed or refunded after the export) are
    new to this build although they carry the previous build's date. -#}
{% macro changed_orders(changed_after) -%}
    select distinct
        shop_id,
        order_id
    from {{ ref('stg_shop__orders') }}
    where
        shop_id is not null
        and order_id is not null
        and {{ member_analytics.order_change_date('ordered_at', 'updated_at', 'refunded_at') }} >= {{ changed_after }}
{%- endmacro %}


{#- The columns of an order that fct_orders takes from its kept raw row, by fct_orders'
    names (SQL select list). `source`: 'staging' (a row of stg_shop__orders) or
    'fct_orders' (a built row). Two builds of the same kept row give the same values,
    so a difference means the raw row changed (docs/decisions/0091). -#}
{% macro order_content_columns(source) -%}
    {%- if source == 'staging' -%}
    shop_id,
    order_id,
    member_id,
    status,
    channel,
    cast(paid_amount as decimal(18, 2)) as gross_amount,
    cast(coalesce(discount_amount, 0) as decimal(18, 2)) as discount_amount,
    cast({{ member_analytics.order_refunded_amount('refunded_amount', 'status', 'paid_amount') }} as decimal(18, 2))
        as refund_amount,
    ordered_at,
    refunded_at,
    updated_at
    {%- else -%}
    shop_id,
    order_id,
    member_id,
    status,
    channel,
    gross_amount,
    discount_amount,
    refund_amount,
    ordered_at,
    refunded_at,
    updated_at
    {%- endif -%}
{%- endmacro %}


{#- A model's table as the previous build left it (a relation), or none. Read without
    ref(): the state and the changed orders are read before the models are rebuilt. -#}
{% macro built_relation(model_name) %}
    {% if not execute %}
        {{ return(none) }}
    {% endif %}
    {% set node = graph.nodes.get('model.member_analytics.' ~ model_name) %}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}


{#- The orders whose kept raw row and fct_orders row differ (SQL: shop_id, order_id,
    in_kept — true when the kept row has no equal fct_orders row, false the other way
    round). `kept` and `built`: relations (CTEs) selecting order_content_columns. -#}
{% macro order_content_differences(kept, built) -%}
    select
        shop_id,
        order_id,
        true as in_kept
    from (
        select * from {{ kept }}
        except
        select * from {{ built }}
    ) as kept_not_built
    union all
    select
        shop_id,
        order_id,
        false as in_kept
    from (
        select * from {{ built }}
        except
        select * from {{ kept }}
    ) as built_not_kept
{%- endmacro %}


{#- A filter on rows of `relation_alias` (with shop_id, member_id): true for the changed
    members (audit.int_incremental_changed_members); true for every row without state (SQL). -#}
{% macro is_changed_member(state, relation_alias) -%}
    {%- if state is none -%}
    true
    {%- else -%}
    exists (
        select 1
        from {{ ref('int_incremental_changed_members') }} as changed_members
        where
            changed_members.shop_id = {{ relation_alias }}.shop_id
            and changed_members.member_id = {{ relation_alias }}.member_id
    )
    {%- endif -%}
{%- endmacro %}


{#- A daily run of fct_orders reads the changed members computed in the same build and
    must leave its state behind: without int_incremental_changed_orders,
    int_incremental_changed_members and rpt_incremental_runs in the selection it would
    recompute the members of an older build's list, or leave a watermark that does not
    describe it. An error then, naming the way out. -#}
{% macro require_incremental_selection(state) %}
    {% if execute and state is not none %}
        {% set needed = ['model.member_analytics.int_incremental_changed_orders',
                         'model.member_analytics.int_incremental_changed_members',
                         'model.member_analytics.rpt_incremental_runs'] %}
        {% set missing = needed | reject('in', selected_resources) | list %}
        {% if missing | length > 0 %}
            {% do exceptions.raise_compiler_error(
                "fct_orders is built incrementally (a daily run) but its change detection and state are not all"
                ~ " selected (missing: " ~ (missing | map('replace', 'model.member_analytics.', '') | join(', '))
                ~ "). Select them too (--select +fct_orders rpt_incremental_runs) or rebuild fct_orders in full"
                ~ " (--full-refresh); docs/decisions/0091.") %}
        {% endif %}
    {% endif %}
{% endmacro %}


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


{#- post-hook of int_incremental_changed_orders: a warning in dbt's log when kept raw
    orders differ from what the previous build holds without a date after its
    watermark (a re-export that rewrote, added or removed old orders). -#}
{% macro warn_undated_changes() %}
    {% if execute %}
        {% set rows = run_query(
            "select count(*) from " ~ this ~ " where is_content_change and not is_dated_change") %}
        {% if rows | length > 0 and rows[0][0] > 0 %}
            {% do exceptions.warn(
                "member_analytics: " ~ rows[0][0] ~ " orders differ from the previous build without a later"
                ~ " updated_at or refunded_at (raw data rewritten, added or removed): applied (their members"
                ~ " recomputed), listed in " ~ this) %}
        {% endif %}
    {% endif %}
    {{ return('select 1') }}
{% endmacro %}
