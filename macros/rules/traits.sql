{#- Declared member traits (seed member_traits, docs/decisions/0124); described in _rules__macros.yml. -#}

{#- Which aggregations each source table of the seed supports. -#}
{% macro trait_sources() %}
    {% set everywhere = ['count', 'distinct_days', 'first', 'last'] %}
    {% set by_product = ['most_frequent_category', 'most_frequent_product'] %}
    {{ return({
        'orders': everywhere + ['sum_amount'],
        'order_items': everywhere + ['sum_amount'] + by_product,
        'visits': everywhere,
        'favourites': everywhere + by_product,
        'carts': everywhere + by_product,
        'behaviour_events': everywhere + by_product,
        'service_events': everywhere + by_product,
        'points': everywhere + ['sum_amount'],
    }) }}
{% endmacro %}


{#- The event types (or movement types) a trait of a source may name. -#}
{% macro trait_event_types() %}
    {{ return({
        'behaviour_events': ['view', 'favorite', 'cart', 'favorite_shop', 'check_in', 'game', 'survey', 'vote',
                             'share'],
        'service_events': ['cancel', 'reject', 'return', 'exchange', 'complaint', 'review', 'suggestion', 'referral'],
        'points': ['purchase_earned', 'purchase_reversed', 'event_earned', 'event_spent', 'lapse_expired'],
    }) }}
{% endmacro %}


{#- The kind of value an aggregation gives: number, date or text. -#}
{% macro trait_value_kind(aggregation) %}
    {% if aggregation in ('first', 'last') %}
        {{ return('date') }}
    {% elif aggregation.startswith('most_frequent_') %}
        {{ return('text') }}
    {% endif %}
    {{ return('number') }}
{% endmacro %}


{#- The declared traits, in trait_order, each checked (a compile error naming the trait
    and the column otherwise): [{name, aggregation, source_table, kind, window_days}]. Empty while dbt parses, in unit
    tests and before the seed is loaded. -#}
{% macro declared_traits() %}
    {#- (no seed table: compiled outside a run, e.g. by sqlfluff's templater; or a unit
        test, whose given seed rows are not a table) -#}
    {% if not execute or model.resource_type == 'unit_test' or load_relation(ref('member_traits')) is none %}
        {{ return([]) }}
    {% endif %}
    {% set rows = run_query(
        "select trait_order, trait_name, source_table, event_type, category, aggregation, window_days"
        ~ " from " ~ ref('member_traits') ~ " order by trait_order") %}
    {% set sources = member_analytics.trait_sources() %}
    {% set reserved = ['shop_id', 'member_id', 'as_of_date'] %}
    {% set traits = [] %}
    {% set seen = [] %}
    {% for row in rows.rows %}
        {% set name = row[1] | string %}
        {% set where = "seed member_traits, trait '" ~ name ~ "' (trait_order " ~ row[0] ~ ")" %}
        {% if not modules.re.match('^[a-z][a-z0-9_]{0,62}$', name) or name in reserved %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: " ~ where ~ ": column trait_name must be a lower-case identifier"
                ~ " (a-z, 0-9, _; not shop_id, member_id or as_of_date)") }}
        {% endif %}
        {% if name in seen %}
            {{ exceptions.raise_compiler_error("member_analytics: " ~ where ~ ": column trait_name is declared twice") }}
        {% endif %}
        {% do seen.append(name) %}
        {% if row[2] not in sources %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: " ~ where ~ ": column source_table is '" ~ row[2] ~ "', expected one of "
                ~ (sources.keys() | sort | join(', '))) }}
        {% endif %}
        {% if row[5] not in sources[row[2]] %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: " ~ where ~ ": column aggregation is '" ~ row[5] ~ "', which source_table "
                ~ row[2] ~ " does not support (supported: " ~ (sources[row[2]] | join(', ')) ~ ")") }}
        {% endif %}
        {% set event_types = member_analytics.trait_event_types() %}
        {% if row[3] is not none and row[2] not in event_types %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: " ~ where ~ ": column event_type applies to behaviour_events, service_events"
                ~ " and points only") }}
        {% endif %}
        {% for code in (row[3] or '').split() if code not in event_types.get(row[2], []) %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: " ~ where ~ ": column event_type names '" ~ code ~ "', not a type of "
                ~ row[2] ~ " (" ~ (event_types[row[2]] | join(', ')) ~ ")") }}
        {% endfor %}
        {% if row[4] is not none and 'most_frequent_product' not in sources[row[2]] %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: " ~ where ~ ": column category applies to sources with a product"
                ~ " (order_items, favourites, carts, behaviour_events, service_events), not " ~ row[2]) }}
        {% endif %}
        {% if row[6] is not none and (row[6] | int) < 1 %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: " ~ where ~ ": column window_days must be a positive number of days,"
                ~ " or empty for all history") }}
        {% endif %}
        {% do traits.append({'name': name, 'aggregation': row[5], 'source_table': row[2],
                             'kind': member_analytics.trait_value_kind(row[5]),
                             'window_days': none if row[6] is none else row[6] | int}) %}
    {% endfor %}
    {{ return(traits) }}
{% endmacro %}


{#- The pivot of one trait out of fct_member_traits' rows (grouped by member), typed by its
    kind; counts and sums are 0 for a member with no matching event, dates and text null. -#}
{% macro trait_pivot(trait, traits_relation='traits') -%}
    {%- set match = traits_relation ~ ".trait_name = '" ~ trait.name ~ "'" -%}
    {%- if trait.kind == 'date' -%}
        max(case when {{ match }} then {{ traits_relation }}.date_value end)
    {%- elif trait.kind == 'text' -%}
        max(case when {{ match }} then {{ traits_relation }}.text_value end)
    {%- elif trait.aggregation == 'sum_amount' -%}
        coalesce(max(case when {{ match }} then {{ traits_relation }}.number_value end), 0)
    {%- else -%}
        cast(coalesce(max(case when {{ match }} then {{ traits_relation }}.number_value end), 0) as bigint)
    {%- endif -%}
{%- endmacro %}


{#- The sources fct_member_traits reads, each as (the seed sources it serves, source_table,
    relation, event type, product, date, amount, condition): only those some declared trait
    counts (all of them without declared traits). Every source in one shape; amount is the
    net amount (orders, order lines) or the signed points (points). -#}
{% macro trait_event_sources(declared) %}
    {% set null_string = 'cast(null as ' ~ dbt.type_string() ~ ')' %}
    {% set behaviour_events = '(select shop_id, member_id, event_type, product_id, cast(occurred_at as date) as event_date'
        ~ ' from ' ~ ref('stg_shop__behavior_events') ~ " where row_status = 'kept') as behaviour_events" %}
    {% set sources = [
        (['orders'], "'orders'", ref('fct_orders'), null_string, null_string, 'ordered_date', 'net_amount',
         'is_valid_purchase'),
        (['order_items'], "'order_items'", ref('fct_order_items'), null_string, 'product_id', 'ordered_date',
         'net_amount', 'is_valid_purchase'),
        (['visits'], "'visits'", ref('int_member_visit_days'), null_string, null_string, 'visit_date', 'null', 'true'),
        (['favourites', 'carts'], "case event_type when 'favorite' then 'favourites' else 'carts' end",
         behaviour_events, 'event_type', 'product_id', 'event_date', 'null', "event_type in ('favorite', 'cart')"),
        (['behaviour_events'], "'behaviour_events'", behaviour_events, 'event_type', 'product_id', 'event_date',
         'null', 'true'),
        (['service_events'], "'service_events'", ref('fct_service_events'), 'event_type', 'product_id',
         'occurred_date', 'null', 'true'),
        (['points'], "'points'", ref('fct_member_points_ledger'), 'movement_type', null_string, 'movement_date',
         'points', 'true'),
    ] %}
    {% set used = declared | map(attribute='source_table') | list %}
    {% set read = [] %}
    {% for source in sources if not used or source[0] | select('in', used) | list %}
        {% do read.append(source) %}
    {% endfor %}
    {{ return(read) }}
{% endmacro %}


{#- The raw tables whose changes fct_member_traits reads through its sources: when the change
    ledger cannot name the members of one of them, a daily run recomputes every member
    (member_keyed_state; the orders' changes are found by value, the catalogue is unkeyed). -#}
{% macro trait_changed_tables() %}
    {{ return(['members', 'order_items', 'behavior_events', 'service_events', 'points_events']) }}
{% endmacro %}


{#- The members whose traits a daily run recomputes (SQL: shop_id, member_id, possibly
    repeated), for the state of member_keyed_state: the changed members
    (int_incremental_changed_members), and the members with an event of a source that time
    alone moves into or out of a trait: dated on or after the earliest changed date
    (incremental_changed_after: the window's end moved), or between the starts of a
    trait's window at the previous and at the current as_of_date (its start moved). -#}
{% macro trait_recomputed_members(state, declared) -%}
    {%- set lower = "least(cast('" ~ state.as_of_date ~ "' as date), " ~ member_analytics.as_of_date() ~ ")" -%}
    {%- set upper = "greatest(cast('" ~ state.as_of_date ~ "' as date), " ~ member_analytics.as_of_date() ~ ")" -%}
    select
        shop_id,
        member_id
    from {{ ref('int_incremental_changed_members') }}
    {%- for serves, source_table, relation, event_type, product_id, event_date, amount, condition
        in member_analytics.trait_event_sources(declared) %}
    union all
    select
        shop_id,
        member_id
    from {{ relation }}
    where
        member_id is not null
        and {{ condition }}
        and (
            {{ event_date }} >= {{ member_analytics.incremental_changed_after(state) }}
            {%- for window_days in declared | selectattr('source_table', 'in', serves)
                | map(attribute='window_days') | reject('none') | unique | sort %}
            or (
                {{ event_date }} >= {{ member_analytics.trailing_window_start(lower, window_days) }}
                and {{ event_date }} < {{ member_analytics.trailing_window_start(upper, window_days) }}
            )
            {%- endfor %}
        )
    {%- endfor %}
{%- endmacro %}


{#- A filter: true for the members whose traits a daily run recomputes (trait_recomputed_members),
    always true on a full build (state none). -#}
{% macro is_trait_recomputed_member(state, relation_alias, declared=none) -%}
    {%- if state is none -%}
    true
    {%- else -%}
    exists (
        select 1
        from ({{ member_analytics.trait_recomputed_members(
            state, member_analytics.declared_traits() if declared is none else declared) }}) as recomputed_members
        where
            recomputed_members.shop_id = {{ relation_alias }}.shop_id
            and recomputed_members.member_id = {{ relation_alias }}.member_id
    )
    {%- endif -%}
{%- endmacro %}


{#- pre-hook of fct_member_traits: delete the rows of the members a daily run recomputes
    (is_trait_recomputed_member), or every row. -#}
{% macro delete_trait_members() %}
    {{ return(member_analytics.delete_recomputed_rows(
        member_analytics.member_keyed_state, [member_analytics.trait_changed_tables(), ['products']],
        member_analytics.is_trait_recomputed_member)) }}
{% endmacro %}
