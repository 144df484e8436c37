{#- The daily incremental run (docs/decisions/0091); described in _rules__macros.yml. -#}

{#- incremental where the engine can delete a member's rows, else table. -#}
{% macro incremental_materialization() %}
    {{ return(adapter.dispatch('incremental_materialization', 'member_analytics')()) }}
{% endmacro %}

{% macro default__incremental_materialization() %}
    {{ return('incremental') }}
{% endmacro %}

{% macro spark__incremental_materialization() %}
    {{ return('table') }}
{% endmacro %}


{#- The config of a member-keyed model: incremental (append) where the engine can delete a
    member's rows, its pre-hook `member_analytics.<pre_hook>` deleting what it recomputes;
    with post_hook, `member_analytics.<post_hook>` after the append. -#}
{% macro member_keyed_config(pre_hook, post_hook=none) %}
    {% set config = {'materialized': member_analytics.incremental_materialization(), 'incremental_strategy': 'append',
                     'on_schema_change': 'fail', 'pre_hook': '{{ member_analytics.' ~ pre_hook ~ ' }}'} %}
    {% if post_hook is not none %}
        {% do config.update({'post_hook': '{{ member_analytics.' ~ post_hook ~ ' }}'}) %}
    {% endif %}
    {{ return(config) }}
{% endmacro %}


{#- post-hook of a member-keyed mart whose rows carry the build's as_of_date: in a daily
    run, the rows of the members it did not recompute take the new date (their other
    columns do not depend on it). -#}
{% macro refresh_as_of_date() %}
    {% if not execute or not is_incremental() %}
        {{ return('select 1') }}
    {% endif %}
    {{ return('update ' ~ this ~ ' set as_of_date = ' ~ member_analytics.as_of_date()
        ~ ' where as_of_date <> ' ~ member_analytics.as_of_date()) }}
{% endmacro %}


{#- A history mart over stored rows plus the build's as_of_date: a view where the rows are
    stored incrementally, a table where every build recomputes them (Spark). -#}
{% macro history_view_materialization() %}
    {{ return('view' if member_analytics.incremental_materialization() == 'incremental' else 'table') }}
{% endmacro %}


{#- md5 of the threshold vars, the code and the dbt version. -#}
{% macro incremental_vars_fingerprint() %}
    {% set values = {} %}
    {% for name in member_analytics.threshold_var_names() %}
        {% if name not in ['member_analytics__validation__latest_valid_date', 'member_analytics__incremental__lookback_days',
                            'member_analytics__raw_loads__hash_every_run'] %}
            {% do values.update({name: var(name)}) %}
        {% endif %}
    {% endfor %}
    {#- the engine's version too: staging keys are its hash() (docs/decisions/0118), which an
        upgrade may change -#}
    {% set engine_version = run_query("select version()").columns[0].values()[0] if execute else '' %}
    {% do values.update({'code': member_analytics.incremental_code_fingerprint(), 'dbt_version': dbt_version,
                         'engine_version': engine_version}) %}
    {{ return(local_md5(tojson(values, sort_keys=true))) }}
{% endmacro %}


{#- md5 of every project macro and of the member-keyed models and their upstream. -#}
{% macro incremental_code_fingerprint() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set parts = [] %}
    {% set macros = context['member_analytics'] %}
    {% for name in macros.keys() | sort %}
        {% do parts.append(name ~ ':' ~ local_md5(macros[name].macro.macro_sql)) %}
    {% endfor %}
    {#- the member-keyed models and everything upstream of them: a list that grows while
        it is walked, so every ancestor is reached at any depth -#}
    {% set upstream = [] %}
    {% for name in member_analytics.member_keyed_models() %}
        {% do upstream.append('model.member_analytics.' ~ name) %}
    {% endfor %}
    {% for unique_id in upstream %}
        {% for parent in graph.nodes[unique_id].depends_on.nodes if parent in graph.nodes and parent not in upstream %}
            {% do upstream.append(parent) %}
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


{#- The previous build's state to build on (a dict), or none. -#}
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


{#- The date from which a row counts as changed. -#}
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


{#- The orders with a row dated on or after `changed_after`. -#}
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


{#- The columns fct_orders takes from an order's kept raw row. -#}
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


{#- A model's table as the previous build left it, or none. -#}
{% macro built_relation(model_name) %}
    {% if not execute %}
        {{ return(none) }}
    {% endif %}
    {% set node = graph.nodes.get('model.member_analytics.' ~ model_name) %}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}


{#- The orders whose kept raw row and fct_orders row differ. -#}
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


{#- The members (shop_id, member_id) holding one of the orders of `changed_orders` (a
    relation with shop_id and order_id): in the raw data (any version) and in the
    previous build's fct_orders (an order moved to another member changes both). -#}
{% macro changed_order_holders(changed_orders) -%}
    {%- set built = member_analytics.built_relation('fct_orders') -%}
    select
        versions.shop_id,
        versions.member_id
    from {{ ref('stg_shop__orders') }} as versions
    inner join {{ changed_orders }} as changed_orders
        on versions.shop_id = changed_orders.shop_id and versions.order_id = changed_orders.order_id
    where versions.member_id is not null
    {%- if built is not none %}
    union
    select
        built.shop_id,
        built.member_id
    from {{ built }} as built
    inner join {{ changed_orders }} as changed_orders
        on built.shop_id = changed_orders.shop_id and built.order_id = changed_orders.order_id
    where built.member_id is not null
    {%- endif %}
{%- endmacro %}


{#- A filter: true for the rows whose shop_id and `key` are listed in the model `changes`;
    `true` without state. -#}
{% macro is_listed_change(state, relation_alias, changes, key) -%}
    {%- if state is none -%}
    true
    {%- else -%}
    exists (
        select 1
        from {{ ref(changes) }} as listed
        where
            listed.shop_id = {{ relation_alias }}.shop_id
            and listed.{{ key }} = {{ relation_alias }}.{{ key }}
    )
    {%- endif -%}
{%- endmacro %}


{#- A filter: true for the changed members (of the model `changes`). -#}
{% macro is_changed_member(state, relation_alias, changes='int_incremental_changed_members') -%}
    {{ member_analytics.is_listed_change(state, relation_alias, changes, 'member_id') }}
{%- endmacro %}


{#- A filter: true for the rows of the orders whose row or lines changed (of the model
    `changes`). -#}
{% macro is_changed_order(state, relation_alias, changes='int_incremental_changed_item_orders') -%}
    {{ member_analytics.is_listed_change(state, relation_alias, changes, 'order_id') }}
{%- endmacro %}


{#- A daily run of a member-keyed model must select its change detection and state. -#}
{% macro require_incremental_selection(state) %}
    {% if execute and state is not none %}
        {% set needed = ['model.member_analytics.int_incremental_changed_orders',
                         'model.member_analytics.int_incremental_changed_order_members',
                         'model.member_analytics.int_incremental_changed_item_orders',
                         'model.member_analytics.int_incremental_changed_members',
                         'model.member_analytics.rpt_incremental_runs'] %}
        {% set missing = needed | reject('in', selected_resources) | list %}
        {% if missing | length > 0 %}
            {% do exceptions.raise_compiler_error(
                "member_analytics: " ~ model.name ~ " is built incrementally (a daily run) but its change detection and state are not all"
                ~ " selected (missing: " ~ (missing | map('replace', 'model.member_analytics.', '') | join(', '))
                ~ "). Select them too (--select +" ~ model.name ~ " +rpt_incremental_runs) or rebuild " ~ model.name ~ " in full"
                ~ " (--full-refresh); docs/decisions/0091.") %}
        {% endif %}
    {% endif %}
{% endmacro %}


{#- The pre-hook of a member-keyed model: the statement deleting what a daily run recomputes.
    Nothing outside an incremental build; every row when scope_macro(*scope_args) gives no
    scope; else the rows of filter_macro(scope, relation_alias=<the model>, **filter_kwargs),
    logging `message` with {cutoff} replaced by the scope's cutoff and {new_dates} by its
    new_dates (member_state_dates), if any. -#}
{% macro delete_recomputed_rows(scope_macro, scope_args, filter_macro, filter_kwargs={}, message=none) %}
    {% if not execute or not is_incremental() %}
        {{ return('select 1') }}
    {% endif %}
    {% set scope = scope_macro(*scope_args) %}
    {% if scope is none %}
        {{ return('delete from ' ~ this) }}
    {% endif %}
    {% if message is not none %}
        {% set new_dates = scope.get('new_dates', []) | map('replace', "cast('", '') | map('replace', "' as date)", '') | join(', ') %}
        {% do log("member_analytics: " ~ this.identifier ~ " " ~ message | replace('{cutoff}', scope.cutoff)
            | replace('{new_dates}', new_dates or 'none'), info=true) %}
    {% endif %}
    {{ return('delete from ' ~ this ~ ' where '
        ~ filter_macro(scope, relation_alias=this.identifier, **filter_kwargs)) }}
{% endmacro %}


{#- pre-hook: delete every row of the changed members of the model `changes` (the state of
    incremental_state, or with `tables` of member_keyed_state(tables, unkeyed)). -#}
{% macro delete_changed_members(tables=none, changes='int_incremental_changed_members', unkeyed=[]) %}
    {% set scope_macro, scope_args = (member_analytics.incremental_state, []) if tables is none
        else (member_analytics.member_keyed_state, [tables, unkeyed]) %}
    {{ return(member_analytics.delete_recomputed_rows(scope_macro, scope_args, member_analytics.is_changed_member,
                                                      {'changes': changes})) }}
{% endmacro %}


{#- pre-hook of an order-keyed model: delete every row of the orders whose row or lines
    changed (int_incremental_changed_item_orders), with the state of
    member_keyed_state(tables). -#}
{% macro delete_changed_orders(tables) %}
    {{ return(member_analytics.delete_recomputed_rows(member_analytics.member_keyed_state, [tables, []],
                                                      member_analytics.is_changed_order)) }}
{% endmacro %}


{#- post-hook of rpt_incremental_runs: warn about late changes. -#}
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


{#- post-hook of int_incremental_changed_orders: warn about undated changes. -#}
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


{#- The change ledger's rows that no build of the marts has read yet (a relation
    staged_changes, SQL), or none: no state, or a ledger that does not exist. -#}
{% macro staged_changes_since(state) %}
    {% if not execute or state is none or member_analytics.incremental_materialization() != 'incremental' %}
        {{ return(none) }}
    {% endif %}
    {% set ledger = adapter.get_relation(database=target.database, schema=member_analytics.landing_schema(),
        identifier='staged_changes') %}
    {% if ledger is none %}
        {{ return(none) }}
    {% endif %}
    {{ return('(select * from ' ~ ledger ~ ' where build_number > ' ~ state.build_number ~ ') as staged_changes') }}
{% endmacro %}


{#- The state to build a member-keyed model on (incremental_state), or none when the
    change ledger cannot say which members changed in one of `tables`: no ledger (a
    first daily run after an upgrade), or a table staged in full since the marts were
    last built (a snapshot file that changed, a changed rule), or any change at all to one
    of `unkeyed` (tables whose rows name no member, such as products): then every member
    is recomputed. -#}
{% macro member_keyed_state(tables, unkeyed=[]) %}
    {% set state = member_analytics.incremental_state() %}
    {% set ledger = member_analytics.staged_changes_since(state) %}
    {% if ledger is none %}
        {{ return(none) }}
    {% endif %}
    {% set names, unkeyed_names = ["''"], ["''"] %}
    {% for table_name in tables %}
        {% do names.append(member_analytics.string_literal(table_name)) %}
    {% endfor %}
    {% for table_name in unkeyed %}
        {% do unkeyed_names.append(member_analytics.string_literal(table_name)) %}
    {% endfor %}
    {% set full = run_query("select count(*) from " ~ ledger ~ " where (change_side = 'full' and table_name in ("
        ~ names | join(', ') ~ ")) or table_name in (" ~ unkeyed_names | join(', ') ~ ")").columns[0].values()[0] %}
    {{ return(state if full == 0 else none) }}
{% endmacro %}


{#- The member-keyed incremental models (docs/decisions/0091, 0119): audit.rpt_incremental_runs
    moves the state on only in a build of all of them. -#}
{% macro member_keyed_models() %}
    {{ return(['int_orders_valued', 'fct_orders', 'fct_order_items', 'int_member_visit_days', 'int_member_states',
               'fct_member_activity_history', 'int_member_rfm_scored', 'int_member_tier_states',
               'int_member_tier_periods', 'fct_order_tiers', 'fct_member_points_ledger',
               'int_member_lifecycle_snapshots', 'int_member_lifecycle_stage_runs', 'fct_member_category_preferences',
               'fct_member_purchase_profile', 'fct_audience_item_purchase_days']) }}
{% endmacro %}


{#- What int_member_states (or, history=true, fct_member_activity_history) recomputes in a
    daily run (dated_member_scope): the cutoff is the earlier of the previous and the current
    as_of_date, less its day before and the audiences' lookback, so that every evaluation
    date but the month ends lies on or after it. For int_member_states the scope also names
    the evaluation dates from the cutoff on whose stored rows the unchanged members keep
    (kept_dates) and those every member is computed at (new_dates): member_state_dates. -#}
{% macro member_state_scope(history=false) %}
    {#- the month ends kept must start where the spine does (the history: where the member
        state's month ends from the members' start do) -#}
    {% if history %}
        {% set kept = "select snapshot_date as kept_date from " ~ this %}
        {% set spine = "select evaluation_date as kept_date from " ~ ref('int_member_states')
            ~ " where is_history_snapshot_date and evaluation_date >= membership_start_date" %}
    {% else %}
        {% set kept = "select evaluation_date as kept_date from " ~ this ~ " where is_history_snapshot_date" %}
        {% set spine = none %}
    {% endif %}
    {% set scope = member_analytics.dated_member_scope(
        '1 + ' ~ member_analytics.audience_var('activity_drop_lookback_days'), kept, spine) %}
    {% if scope is not none and not history %}
        {% do scope.update(member_analytics.member_state_dates(scope.cutoff)) %}
    {% endif %}
    {{ return(scope) }}
{% endmacro %}


{#- The evaluation dates from the cutoff on, split by what a daily run of int_member_states
    does at them (docs/decisions/0139): a dict of two lists of date literals (SQL). A
    member's state at a date reads only the member's own data up to that date, so the
    unchanged members keep their stored rows at a date of the spine that is stored with
    the rows it needs now (kept_dates): stored as the as_of_date if it is the as_of_date
    now (only the as_of_date has a row for a member not yet seen), and with purchase
    measures if it needs them now. Every member is computed at the other dates
    (new_dates): the new as_of_date and its lookback date on an ordinary day. Read before
    the pre-hook deletes anything. -#}
{% macro member_state_dates(cutoff) %}
    {% set dates = run_query(
        "select cast(spine.evaluation_date as " ~ dbt.type_string() ~ ") as evaluation_date,"
        ~ " coalesce(stored.evaluation_date is not null"
        ~ " and (stored.was_as_of_date or not spine.is_as_of_date)"
        ~ " and (stored.had_purchase_measures or not (spine.is_as_of_date or spine.is_day_before_as_of_date)),"
        ~ " false) as is_kept"
        ~ " from " ~ ref('int_member_evaluation_dates') ~ " as spine"
        ~ " left join (select evaluation_date,"
        ~ " max(case when is_as_of_date then 1 else 0 end) = 1 as was_as_of_date,"
        ~ " max(case when has_purchase_measures then 1 else 0 end) = 1 as had_purchase_measures"
        ~ " from " ~ this ~ " where evaluation_date >= " ~ cutoff ~ " group by evaluation_date) as stored"
        ~ " on spine.evaluation_date = stored.evaluation_date"
        ~ " where spine.evaluation_date >= " ~ cutoff ~ " order by 1") %}
    {% set split = {'kept_dates': [], 'new_dates': []} %}
    {% for row in dates.rows %}
        {% do split['kept_dates' if row[1] else 'new_dates'].append("cast('" ~ row[0] ~ "' as date)") %}
    {% endfor %}
    {{ return(split) }}
{% endmacro %}


{#- `date_column in (dates)` for a list of date literals (SQL); false for none. -#}
{% macro is_in_dates(date_column, dates) -%}
    {%- if dates | length == 0 -%}
    false
    {%- else -%}
    {{ date_column }} in ({{ dates | join(', ') }})
    {%- endif -%}
{%- endmacro %}


{#- What int_member_lifecycle_snapshots recomputes in a daily run (dated_member_scope): a
    member's stage at a month end reads only their own data, so the cutoff is the earlier of
    the previous and the current as_of_date (the as_of_date row and the month ends passed
    since lie on or after it). -#}
{% macro lifecycle_snapshot_scope() %}
    {{ return(member_analytics.dated_member_scope(none, "select snapshot_date as kept_date from " ~ this)) }}
{% endmacro %}


{#- What a member-keyed model dated by evaluation or snapshot date recomputes in a daily run
    (a dict of the state and the cutoff, the SQL of the earliest date every member is
    recomputed from), or none for all of it: no member-keyed state, or a month spine that
    starts elsewhere than the rows kept (`kept` and `spine`: queries of one column
    kept_date, spine none for int_member_evaluation_dates' month ends; the first kept order
    moved). The cutoff is the earlier of the previous and the current as_of_date, less
    `days_before` (SQL, or none). -#}
{% macro dated_member_scope(days_before, kept, spine=none) %}
    {% if not execute %}
        {{ return(none) }}
    {% endif %}
    {% if spine is none %}
        {% set spine = "select evaluation_date as kept_date from " ~ ref('int_member_evaluation_dates')
            ~ " where is_history_snapshot_date" %}
    {% endif %}
    {% set state = member_analytics.member_keyed_state(['members', 'behavior_events', 'service_events', 'points_events']) %}
    {% if state is none %}
        {{ return(none) }}
    {% endif %}
    {% set cutoff = "least(cast('" ~ state.as_of_date ~ "' as date), " ~ member_analytics.as_of_date() ~ ")" %}
    {% if days_before is not none %}
        {% set cutoff = member_analytics.add_days(cutoff, '-(' ~ days_before ~ ')') %}
    {% endif %}
    {% set cutoff = "cast('" ~ run_query("select cast(" ~ cutoff ~ " as " ~ dbt.type_string() ~ ")").columns[0].values()[0]
        ~ "' as date)" %}
    {% set spine_kept = run_query(
        "select (select min(kept_date) from (" ~ kept ~ ") as kept where kept_date < " ~ cutoff ~ ")"
        ~ " = (select min(kept_date) from (" ~ spine ~ ") as spine where kept_date < " ~ cutoff ~ ")").columns[0].values()[0] %}
    {{ return({'state': state, 'cutoff': cutoff} if spine_kept else none) }}
{% endmacro %}


{#- pre-hook of int_member_states (or, history=true, fct_member_activity_history): delete the
    rows a daily run recomputes (member_state_scope), or every row. -#}
{% macro delete_member_states(history=false) %}
    {{ return(member_analytics.delete_recomputed_rows(
        member_analytics.member_state_scope, [history],
        member_analytics.in_member_state_scope if history else member_analytics.is_recomputed_member_state,
        {'date_column': 'snapshot_date'} if history else {},
        'recomputes the changed members and every member from {cutoff}' if history
        else 'recomputes the changed members, and every member at the new dates from {cutoff}: {new_dates}')) }}
{% endmacro %}


{#- The filter of int_member_states' rows a daily run deletes (docs/decisions/0139): every
    row of the changed members; from the cutoff on, the rows at a date that is not kept
    (member_state_dates), and at a kept date that is no longer the as_of_date, the rows of
    members not yet seen then. -#}
{% macro is_recomputed_member_state(scope, relation_alias) -%}
    ({{ member_analytics.is_changed_member(scope.state, relation_alias) }}
    or (
        evaluation_date >= {{ scope.cutoff }}
        and (
            not {{ member_analytics.is_in_dates('evaluation_date', scope.kept_dates) }}
            or (evaluation_date <> {{ member_analytics.as_of_date() }}
                and not coalesce(evaluation_date >= first_seen_date, false))
        )
    ))
{%- endmacro %}


{#- post-hook of int_member_states: in a daily run, the rows the unchanged members keep
    take their date's roles from int_member_evaluation_dates (a date's roles move with
    as_of_date), and lose the purchase measures a date without them has (docs/decisions/
    0139); rows that already agree are not touched. Every date from the cutoff on, or every
    row without a scope. -#}
{% macro refresh_member_state_roles() %}
    {% if not execute or not is_incremental() %}
        {{ return('select 1') }}
    {% endif %}
    {% set scope = member_analytics.member_state_scope() %}
    {% set has_measures = 'dates.is_as_of_date or dates.is_day_before_as_of_date' %}
    {% set roles = ['is_history_snapshot_date', 'is_as_of_date', 'is_day_before_as_of_date', 'is_lookback_date'] %}
    {% set measures = ['loyalty_level', 'valid_purchases', 'purchases_in_loyalty_window',
                       'purchase_days_in_loyalty_window', 'net_revenue_in_loyalty_window', 'recent_net_revenue',
                       'days_since_last_purchase', 'first_purchase_date', 'last_purchase_date'] %}
    {% set assignments = [] %}
    {% set differences = [] %}
    {% for role in roles %}
        {% do assignments.append(role ~ ' = dates.' ~ role) %}
        {% do differences.append('states.' ~ role ~ ' <> dates.' ~ role) %}
    {% endfor %}
    {% do assignments.append('lookback_date = dates.lookback_date') %}
    {% do differences.append('states.lookback_date is distinct from dates.lookback_date') %}
    {% do assignments.append('has_purchase_measures = ' ~ has_measures) %}
    {% do differences.append('states.has_purchase_measures <> (' ~ has_measures ~ ')') %}
    {% for measure in measures %}
        {% do assignments.append(measure ~ ' = case when ' ~ has_measures ~ ' then states.' ~ measure ~ ' end') %}
    {% endfor %}
    {{ return('update ' ~ this ~ ' as states set ' ~ assignments | join(', ')
        ~ ' from ' ~ ref('int_member_evaluation_dates') ~ ' as dates'
        ~ ' where states.evaluation_date = dates.evaluation_date'
        ~ (' and states.evaluation_date >= ' ~ scope.cutoff if scope is not none else '')
        ~ ' and (' ~ differences | join(' or ') ~ ')') }}
{% endmacro %}


{#- pre-hook of int_member_lifecycle_snapshots: delete the rows a daily run recomputes
    (lifecycle_snapshot_scope), or every row. -#}
{% macro delete_lifecycle_snapshots() %}
    {{ return(member_analytics.delete_recomputed_rows(
        member_analytics.lifecycle_snapshot_scope, [], member_analytics.in_member_state_scope,
        {'date_column': 'snapshot_date'}, 'recomputes the changed members and every member from {cutoff}')) }}
{% endmacro %}


{#- A filter of a dated member-keyed model's member dates: true on a full build, else the
    date on or after the cutoff or the member changed (dated_member_scope). -#}
{% macro in_member_state_scope(scope, date_column, relation_alias) -%}
    {%- if scope is none -%}
    true
    {%- else -%}
    ({{ date_column }} >= {{ scope.cutoff }} or {{ member_analytics.is_changed_member(scope.state, relation_alias) }})
    {%- endif -%}
{%- endmacro %}
