{#- Text cleaning and safe casting used by every staging model. -#}

{#- Trim a raw text value; blank becomes null. -#}
{% macro clean_text(column_name) -%}
    nullif(trim({{ column_name }}), '')
{%- endmacro %}


{#- Trim and lower-case a code; blank becomes null. -#}
{% macro clean_code(column_name) -%}
    lower(nullif(trim({{ column_name }}), ''))
{%- endmacro %}


{#- Cast that yields null instead of failing (a failed cast is a bad_type
    rejection, decided by the caller). try_cast behaves alike on DuckDB and
    Spark; dbt.safe_cast is a plain cast on DuckDB. -#}
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


{#- The cleaned raw value cast to a type (null when blank or not castable). -#}
{% macro typed_value(raw_column, data_type) -%}
    {%- if data_type in ('bigint', 'int', 'integer') -%}
        {#- Integers must be written as integers: DuckDB would round '1.5' and Spark truncate it. -#}
        case
            when {{ member_analytics.matches_regex(member_analytics.clean_text(raw_column), '^[+-]?[0-9]+$') }}
                then {{ member_analytics.try_cast(member_analytics.clean_text(raw_column), data_type) }}
        end
    {%- else -%}
        {{ member_analytics.try_cast(member_analytics.clean_text(raw_column), data_type) }}
    {%- endif -%}
{%- endmacro %}


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


{#- The original values of a raw row as one readable string:
    "order_id=A1 | member_id=<null> | ...". Kept with rejected rows. -#}
{% macro source_record(table_name) -%}
    concat_ws(' | '
    {%- for column_name in member_analytics.raw_contract_columns(table_name) %},
        concat('{{ column_name }}=', coalesce({{ column_name }}, '<null>'))
    {%- endfor %}
    )
{%- endmacro %}


{#- row_status and rejection_reason of a staged row, in the contract's order:
    exact copy → duplicate; a row rule → rejected with that reason; an older
    version → superseded; a key conflict → rejected as duplicate_key. Expects
    the columns copy_number and row_rejection_reason. -#}
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
