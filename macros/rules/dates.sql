{#- "Today" and the validity window, as SQL date expressions. -#}

{#- The as_of_date given: the var, else env MEMBER_ANALYTICS_AS_OF_DATE (var_or_env),
    validated; '' when none is given. -#}
{% macro as_of_date_value() %}
    {{ return(member_analytics.validated_date(
        member_analytics.var_or_env('as_of_date', 'MEMBER_ANALYTICS_AS_OF_DATE'), 'as_of_date')) }}
{% endmacro %}


{#- as_of_date: the date given (as_of_date_value), else int_as_of_date. -#}
{% macro as_of_date() %}
    {% set value = member_analytics.as_of_date_value() %}
    {% if value %}
        {{ return("cast('" ~ value ~ "' as date)") }}
    {% endif %}
    {{ return("(select as_of_date from " ~ ref('int_as_of_date') ~ ")") }}
{% endmacro %}


{% macro earliest_valid_date() %}
    {% set value = member_analytics.validated_date(
        var('member_analytics__validation__earliest_valid_date'), 'member_analytics__validation__earliest_valid_date') %}
    {{ return("cast('" ~ value ~ "' as date)") }}
{% endmacro %}


{#- The var when given, else the day after the run started (UTC). -#}
{% macro latest_valid_date_value() %}
    {% set value = member_analytics.validated_date(
        var('member_analytics__validation__latest_valid_date', ''), 'member_analytics__validation__latest_valid_date') %}
    {% if not value %}
        {% set value = (run_started_at + modules.datetime.timedelta(days=1)).strftime('%Y-%m-%d') %}
    {% endif %}
    {{ return(value) }}
{% endmacro %}


{% macro latest_valid_date() %}
    {{ return("cast('" ~ member_analytics.latest_valid_date_value() ~ "' as date)") }}
{% endmacro %}


{#- The reason an event timestamp is out of the valid window, or null. -#}
{% macro date_window_reason(timestamp_expression) -%}
    case
        when cast({{ timestamp_expression }} as date) < {{ member_analytics.earliest_valid_date() }}
            then 'date_before_earliest'
        when cast({{ timestamp_expression }} as date) > {{ member_analytics.latest_valid_date() }}
            then 'date_after_latest'
    end
{%- endmacro %}


{#- The largest accepted order or line amount, a decimal literal (validated var). -#}
{% macro max_order_amount() %}
    {% set value = member_analytics.validated_number('member_analytics__validation__max_order_amount') %}
    {{ return("cast(" ~ value ~ " as decimal(18, 2))") }}
{% endmacro %}


{#- The month a date is in, as a number of months (year × 12 + month − 1): int_months_spined's month_number. -#}
{% macro month_number(date_expression) -%}
    cast(extract(year from {{ date_expression }}) * 12 + extract(month from {{ date_expression }}) - 1 as int)
{%- endmacro %}
