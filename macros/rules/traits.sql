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
    and the column otherwise): [{name, aggregation, source_table, kind}]. Empty while dbt parses, in unit
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
                             'kind': member_analytics.trait_value_kind(row[5])}) %}
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
