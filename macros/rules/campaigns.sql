{#- The campaign loop (docs/decisions/0123): holdouts and attribution windows; described in
    _rules__macros.yml. -#}


{#- A number in [0, 1) from the first 32 bits of the md5 of an SQL text expression: the same
    on every engine (and in Python: int(md5(text).hexdigest()[:8], 16) / 2**32). Dispatched. -#}
{% macro md5_unit_interval(text_expression) %}
    {{ return(adapter.dispatch('md5_unit_interval', 'member_analytics')(text_expression)) }}
{% endmacro %}

{% macro default__md5_unit_interval(text_expression) -%}
    cast(cast('0x' || substr(md5({{ text_expression }}), 1, 8) as bigint) as double) / 4294967296.0
{%- endmacro %}

{% macro spark__md5_unit_interval(text_expression) -%}
    cast(cast(conv(substr(md5({{ text_expression }}), 1, 8), 16, 10) as bigint) as double) / 4294967296.0
{%- endmacro %}


{#- `case <expression> when '<code>' then <value> ... else <default_sql> end` from a mapping
    var code -> value: every code checked by validated_code, every value by check(var_name,
    value), before they reach SQL; just default_sql when the mapping is empty. -#}
{% macro case_by_code(expression, var_name, check, default_sql) -%}
    {%- set values = var(var_name) or {} -%}
    {%- if values is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var '" ~ var_name ~ "' must be a mapping of codes to values") }}
    {%- endif -%}
    {%- if values | length == 0 -%}
        {{ default_sql }}
    {%- else -%}
        case {{ expression }}
        {%- for code, value in values.items() | sort %}
            when '{{ member_analytics.validated_code(code, var_name) }}' then {{ check(var_name, value) }}
        {%- endfor %}
            else {{ default_sql }}
        end
    {%- endif -%}
{%- endmacro %}


{#- The holdout share of an audience (SQL, a double): the per-audience var, else the share
    var; every value checked to be a number in [0, 1] before it reaches SQL. -#}
{% macro holdout_share(audience) -%}
    {%- set default_share = member_analytics.validated_share(
        'member_analytics__campaigns__holdout_share', var('member_analytics__campaigns__holdout_share')) -%}
    cast({{ member_analytics.case_by_code(audience, 'member_analytics__campaigns__holdout_share_by_audience',
                                         member_analytics.validated_share, default_share) }} as double)
{%- endmacro %}


{#- The arm of a member in an audience (SQL): 'holdout' when the member's hash of the salt,
    shop, audience and member falls below the audience's holdout share, else 'treatment'.
    Stable across days: the day is not hashed. -#}
{% macro campaign_arm(shop_id, audience, member_id) -%}
    {%- set salt = member_analytics.validated_code(var('member_analytics__campaigns__holdout_salt'), 'member_analytics__campaigns__holdout_salt') -%}
    case
        when {{ member_analytics.md5_unit_interval(
            "concat('" ~ salt ~ "', '|', " ~ shop_id ~ ", '|', " ~ audience ~ ", '|', " ~ member_id ~ ")") }}
            < {{ member_analytics.holdout_share(audience) }}
            then 'holdout'
        else 'treatment'
    end
{%- endmacro %}


{#- The attribution window of a channel in days (SQL, an int): the var's mapping, else the
    default var. -#}
{% macro attribution_window_days(channel) -%}
    {{ member_analytics.case_by_code(
        channel, 'member_analytics__campaigns__attribution_window_days', member_analytics.validated_days,
        member_analytics.validated_number('member_analytics__campaigns__default_attribution_window_days') | int) }}
{%- endmacro %}


{#- The config of fct_campaign_assignment_log, a log of days: each build replaces its
    as_of_date's rows and keeps every other day's, a full refresh included (the log is a
    record of what was decided, not recomputable). DuckDB deletes the day and inserts it;
    Spark overwrites the day's partition. Dispatched. -#}
{% macro day_log_config() %}
    {{ return(adapter.dispatch('day_log_config', 'member_analytics')()) }}
{% endmacro %}

{% macro default__day_log_config() %}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert', 'unique_key': 'assignment_date',
               'full_refresh': false, 'on_schema_change': 'append_new_columns'}) }}
{% endmacro %}

{% macro spark__day_log_config() %}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
               'partition_by': ['assignment_date'], 'file_format': 'parquet',
               'full_refresh': false, 'on_schema_change': 'append_new_columns'}) }}
{% endmacro %}
