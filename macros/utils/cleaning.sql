{#- Text cleaning and safe casting used by every staging model; described in _utils__macros.yml. -#}

{#- Trim a raw text value; blank becomes null. -#}
{% macro clean_text(column_name) -%}
    nullif(trim({{ column_name }}), '')
{%- endmacro %}


{#- Trim and lower-case a code; blank becomes null. -#}
{% macro clean_code(column_name) -%}
    lower(nullif(trim({{ column_name }}), ''))
{%- endmacro %}


{#- Cast that yields null instead of failing. -#}
{% macro try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}


{#- true/false, 1/0, yes/no, y/n, t/f (any case); anything else null. -#}
{% macro parse_boolean(column_name) -%}
    case
        when lower(trim({{ column_name }})) in ('true', '1', 'yes', 'y', 't') then true
        when lower(trim({{ column_name }})) in ('false', '0', 'no', 'n', 'f') then false
    end
{%- endmacro %}


{#- The cleaned raw value cast to a type, when its text looks like the type. -#}
{% macro typed_value(raw_column, data_type) -%}
    {%- set pattern = member_analytics.raw_value_pattern(data_type) -%}
    {%- if pattern -%}
        case
            when {{ member_analytics.matches_regex(member_analytics.clean_text(raw_column), pattern) }}
                then {{ member_analytics.try_cast(member_analytics.clean_text(raw_column), data_type) }}
        end
    {%- else -%}
        {{ member_analytics.try_cast(member_analytics.clean_text(raw_column), data_type) }}
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


{#- True when a non-blank raw value does not cast to its type: a bad_type rejection. -#}
{% macro is_bad_value(raw_column, data_type) -%}
    ({{ member_analytics.clean_text(raw_column) }} is not null
        and {{ member_analytics.typed_value(raw_column, data_type) }} is null)
{%- endmacro %}


{#- 1 for the first of a set of exactly equal raw rows, 2, 3... for its copies. -#}
{% macro copy_number(table_name) -%}
    {%- set column_names = member_analytics.raw_contract_columns(table_name) -%}
    row_number() over (partition by {{ column_names | join(', ') }} order by {{ column_names[0] }})
{%- endmacro %}


{#- The original values of a raw row as one readable string. -#}
{% macro source_record(table_name, redacted=[]) -%}
    concat_ws(' | '
    {%- for column_name in member_analytics.raw_contract_columns(table_name) %},
        {%- if column_name in redacted %}
        concat('{{ column_name }}=', coalesce(
            concat('<keyed sha256 ', substring({{ member_analytics.pii_keyed_hash(column_name) }}, 1, 16), '...>'),
            '<null>'))
        {%- else %}
        concat('{{ column_name }}=', coalesce({{ column_name }}, '<null>'))
        {%- endif %}
    {%- endfor %}
    )
{%- endmacro %}


{#- row_status and rejection_reason of a staged row. -#}
{% macro row_status_columns(key_conflict='false', superseded='false') -%}
    case
        when copy_number > 1 then 'duplicate'
        when row_rejection_reason is not null then 'rejected'
        when {{ superseded }} then 'superseded'
        when {{ key_conflict }} then 'rejected'
        else 'kept'
    end as row_status,
    case
        when copy_number > 1 then null
        when row_rejection_reason is not null then row_rejection_reason
        when {{ superseded }} then null
        when {{ key_conflict }} then 'duplicate_key'
    end as rejection_reason
{%- endmacro %}


{#- Number of rule-passing rows sharing a key (a key conflict when > 1). -#}
{% macro candidates_per_key(key_columns) -%}
    sum(case when copy_number = 1 and row_rejection_reason is null then 1 else 0 end) over (
        partition by {{ key_columns | join(', ') }}
    )
{%- endmacro %}
