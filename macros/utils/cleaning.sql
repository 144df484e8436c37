{#- Text cleaning and safe casting used by every staging model; described in _utils__macros.yml. -#}

{#- A raw text value trimmed; blank, or one of the spellings of a missing value
    (var member_analytics__validation__missing_value_spellings, exact after
    trimming), becomes null. Dispatched: on DuckDB the spellings are compared
    on one of two branches, the value trimmed where trim() can change it
    (may_need_trim) and the value as it is elsewhere, so the trimming
    expression is not written out once per spelling (the staging models
    rendered about half as long; docs/decisions/0132). -#}
{% macro clean_text(column_name) %}
    {{ return(adapter.dispatch('clean_text', 'member_analytics')(column_name)) }}
{% endmacro %}

{% macro default__clean_text(column_name) -%}
    case
        when {{ member_analytics.may_need_trim(column_name) }}
            then {{ member_analytics.missing_as_null('trim(' ~ column_name ~ ')') }}
        else {{ member_analytics.missing_as_null(column_name) }}
    end
{%- endmacro %}

{% macro spark__clean_text(column_name) -%}
    {{ member_analytics.missing_as_null(member_analytics.trimmed(column_name)) }}
{%- endmacro %}


{#- A string expression, null when it is one of the spellings of a missing value
    ('' included). Written as equalities joined by `or`, not `in (...)`: DuckDB
    turns an IN list this long into a join against the list, which cost about
    40% more per column on four million rows (docs/decisions/0112). -#}
{% macro missing_as_null(expression) -%}
    case
        when
            {% for spelling in member_analytics.missing_value_spellings() -%}
            {{ 'or ' if not loop.first }}{{ expression }} = {{ member_analytics.string_literal(spelling) }}
            {% endfor -%}
            then null
        else {{ expression }}
    end
{%- endmacro %}


{#- The spellings read as a missing value, '' included (validated var). -#}
{% macro missing_value_spellings() %}
    {%- set spellings = var('member_analytics__validation__missing_value_spellings') -%}
    {%- if spellings is string or spellings is not iterable -%}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var 'member_analytics__validation__missing_value_spellings' must be a list"
            ~ " of strings, got '" ~ spellings ~ "'") }}
    {%- endif -%}
    {%- set result = [''] -%}
    {%- for spelling in spellings -%}
        {%- if spelling is not string or spelling | length > 16 -%}
            {{ exceptions.raise_compiler_error(
                "member_analytics: var 'member_analytics__validation__missing_value_spellings' must list"
                ~ " strings of at most 16 characters, got '" ~ spelling ~ "'") }}
        {%- endif -%}
        {%- if (spelling | trim) not in result -%}
            {%- do result.append(spelling | trim) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(result) }}
{% endmacro %}


{#- A raw code cleaned like clean_text, lower-cased. -#}
{% macro clean_code(column_name) -%}
    lower({{ member_analytics.clean_text(column_name) }})
{%- endmacro %}


{#- Cast that yields null instead of failing. -#}
{% macro try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}


{#- A cleaned text value: true/false, 1/0, yes/no, y/n, t/f (any case); anything else null. -#}
{% macro parse_boolean(text_column) -%}
    case
        when lower({{ text_column }}) in ('true', '1', 'yes', 'y', 't') then true
        when lower({{ text_column }}) in ('false', '0', 'no', 'n', 'f') then false
    end
{%- endmacro %}


{#- A cleaned text value (clean_text) cast to a type, when it looks like the type. -#}
{% macro typed_value(text_column, data_type) -%}
    {%- set pattern = member_analytics.raw_value_pattern(data_type) -%}
    {%- if pattern -%}
        case
            when {{ member_analytics.matches_regex(text_column, pattern) }}
                then {{ member_analytics.try_cast(text_column, data_type) }}
        end
    {%- else -%}
        {{ member_analytics.try_cast(text_column, data_type) }}
    {%- endif -%}
{%- endmacro %}


{#- The shape a raw text value must have to be cast to a type. -#}
{% macro raw_value_pattern(data_type) %}
    {%- set type_name = data_type | lower | replace(' ', '') -%}
    {%- if type_name in ('bigint', 'int', 'integer') -%}
        {{ return('^[+-]?[0-9]+$') }}
    {%- elif type_name in ('timestamp', 'date') -%}
        {{ return('^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?$') }}
    {%- elif type_name.startswith('decimal') or type_name.startswith('numeric') -%}
        {{ return('^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$') }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}


{#- True when a non-blank value did not cast to its type: a bad_type rejection.
    The typing CTEs name the cleaned text <column>_text and the typed value <column>. -#}
{% macro is_bad_value(column_name) -%}
    ({{ column_name }}_text is not null and {{ column_name }} is null)
{%- endmacro %}


{#- The raw rows of a contract table, each exact copy numbered: one row per raw
    row, its columns renamed raw_<column>, and copy_number (1 for the first of a
    set of equal rows, 2, 3 … for its copies). Equal rows are counted by a
    grouping, then expanded again (cheaper than a window over every column). -#}
{% macro raw_row_copies(table_name, relation='source', by_load=false, load_locations=[]) -%}
    {%- set column_names = member_analytics.raw_contract_columns(table_name) -%}
    {#- by_load with one load (a snapshot) or none (a table): the copies share it -#}
    {%- set one_load = by_load and load_locations | length <= 1 -%}
    {%- set by_load = by_load and load_locations | length > 1 -%}
    select
        {%- for column_name in column_names %}
        distinct_raw_rows.raw_{{ column_name }},
        {%- endfor %}
        {%- if by_load %}
        {{ member_analytics.expand_load_locations('distinct_raw_rows.raw_load_locations') }} as raw_load_location,
        {%- elif one_load %}
        cast({{ member_analytics.string_literal(load_locations[0]) if load_locations else 'null' }}
            as {{ dbt.type_string() }}) as raw_load_location,
        {%- endif %}
        {{ member_analytics.numbers_up_to('distinct_raw_rows.raw_copies') }} as copy_number
    from (
        select
            {%- for column_name in column_names %}
            {{ column_name }} as raw_{{ column_name }},
            {%- endfor %}
            {%- if by_load %}
            {{ member_analytics.load_locations_of_copies('raw_load_location') }} as raw_load_locations,
            {%- endif %}
            count(*) as raw_copies
        from {{ relation }}
        group by {{ column_names | join(', ') }}
    ) as distinct_raw_rows
{%- endmacro %}


{#- by_load: the loads of a set of equal rows, in load order (an aggregate), and one per
    copy (expanded beside numbers_up_to, so copy 1 is the copy in the earliest load). On
    Spark, where every build stages every load, the location is null (dispatched). -#}
{% macro load_locations_of_copies(location_column) %}
    {{ return(adapter.dispatch('load_locations_of_copies', 'member_analytics')(location_column)) }}
{% endmacro %}

{% macro default__load_locations_of_copies(location_column) -%}
    list_sort(list({{ location_column }}))
{%- endmacro %}

{% macro spark__load_locations_of_copies(location_column) -%}
    max({{ location_column }})
{%- endmacro %}

{% macro expand_load_locations(locations_column) %}
    {{ return(adapter.dispatch('expand_load_locations', 'member_analytics')(locations_column)) }}
{% endmacro %}

{% macro default__expand_load_locations(locations_column) -%}
    unnest({{ locations_column }})
{%- endmacro %}

{% macro spark__expand_load_locations(locations_column) -%}
    {{ locations_column }}
{%- endmacro %}


{#- The original values of a raw row as one readable string, from the raw_<column>
    columns of raw_row_copies. -#}
{% macro source_record(table_name, redacted=[]) -%}
    concat_ws(' | '
    {%- for column_name in member_analytics.raw_contract_columns(table_name) %},
        {%- if column_name in redacted %}
        concat('{{ column_name }}=', coalesce(
            concat('<keyed sha256 ', substring({{ member_analytics.pii_keyed_hash('raw_' ~ column_name, 'pii_key') }}, 1, 16), '...>'),
            '<null>'))
        {%- else %}
        concat('{{ column_name }}=', coalesce(raw_{{ column_name }}, '<null>'))
        {%- endif %}
    {%- endfor %}
    )
{%- endmacro %}


{#- row_status and rejection_reason of a staged row. -#}
{% macro row_status_columns(key_conflict='false', superseded='false', newer_rejected='false') -%}
    case
        when copy_number > 1 then 'duplicate'
        when row_rejection_reason is not null then 'rejected'
        when {{ newer_rejected }} then 'rejected'
        when {{ superseded }} then 'superseded'
        when {{ key_conflict }} then 'rejected'
        else 'kept'
    end as row_status,
    case
        when copy_number > 1 then null
        when row_rejection_reason is not null then row_rejection_reason
        when {{ newer_rejected }} then 'latest_version_rejected'
        when {{ superseded }} then null
        when {{ key_conflict }} then 'duplicate_key'
    end as rejection_reason
{%- endmacro %}


{#- The original values of a rejected row (null for the other rows): expects
    row_status and the raw_<column> columns. -#}
{% macro rejected_source_record(table_name, redacted=[], also_when='false') -%}
    case
        when row_status = 'rejected' or {{ also_when }}
            then {{ member_analytics.source_record(table_name, redacted) }}
    end
{%- endmacro %}


{#- Number of rule-passing rows sharing a key (a key conflict when > 1). -#}
{% macro candidates_per_key(key_columns) -%}
    sum(case when copy_number = 1 and row_rejection_reason is null then 1 else 0 end) over (
        partition by {{ key_columns | join(', ') }}
    )
{%- endmacro %}
