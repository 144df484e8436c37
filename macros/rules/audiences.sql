{#- Campaign audiences and the care calendar (docs/decisions/0060); described in _rules__macros.yml. -#}

{#- A numeric audiences var, validated. -#}
{% macro audience_var(name) -%}
    {{ return(member_analytics.validated_number('member_analytics__audiences__' ~ name)) }}
{%- endmacro %}


{#- A code that ends up in SQL: letters, digits, '_', '-' and '.'. -#}
{% macro validated_code(value, name) %}
    {% set text = value | string %}
    {% if not modules.re.match('^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$', text) %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var '" ~ name ~ "' holds '" ~ text
            ~ "', which is not a code (letters, digits, _ . - only)") }}
    {% endif %}
    {{ return(text) }}
{% endmacro %}


{#- True when the audience is switched on for the shop. -#}
{% macro audience_is_enabled(shop_id, audience) -%}
    {%- set everywhere = var('member_analytics__audiences__disabled') or [] -%}
    {%- set by_shop = var('member_analytics__audiences__disabled_by_shop') or {} -%}
    {%- if everywhere is string or by_shop is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var 'member_analytics__audiences__disabled' must be a list of audience codes"
            ~ " and 'member_analytics__audiences__disabled_by_shop' a mapping shop_id -> list") }}
    {%- endif -%}
    {%- set conditions = [] -%}
    {%- if everywhere | length > 0 -%}
        {%- set codes = [] -%}
        {%- for code in everywhere -%}
            {%- do codes.append("'" ~ member_analytics.validated_code(code, 'member_analytics__audiences__disabled') ~ "'") -%}
        {%- endfor -%}
        {%- do conditions.append(audience ~ ' not in (' ~ codes | join(', ') ~ ')') -%}
    {%- endif -%}
    {%- for shop, shop_codes in by_shop.items() -%}
        {%- set codes = [] -%}
        {%- for code in shop_codes -%}
            {%- do codes.append("'" ~ member_analytics.validated_code(code, 'member_analytics__audiences__disabled_by_shop') ~ "'") -%}
        {%- endfor -%}
        {%- if codes | length > 0 -%}
            {%- do conditions.append(
                'not (' ~ shop_id ~ " = '" ~ member_analytics.validated_code(shop, 'member_analytics__audiences__disabled_by_shop')
                ~ "' and " ~ audience ~ ' in (' ~ codes | join(', ') ~ '))') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if conditions | length == 0 -%}
        true
    {%- else -%}
        ({{ conditions | join(' and ') }})
    {%- endif -%}
{%- endmacro %}


{#- The date with this year, month and day; 29 February clamped to 28 February. -#}
{% macro calendar_date_clamped(year, month, day) -%}
    make_date(
        cast({{ year }} as int),
        cast({{ month }} as int),
        cast(
            case
                when
                    {{ month }} = 2 and {{ day }} = 29
                    and not (({{ year }}) % 4 = 0 and (({{ year }}) % 100 <> 0 or ({{ year }}) % 400 = 0))
                    then 28
                else {{ day }}
            end as int
        )
    )
{%- endmacro %}


{#- The first date on or after from_date that falls on month/day. -#}
{% macro next_anniversary(month, day, from_date) -%}
    case
        when {{ member_analytics.calendar_date_clamped('extract(year from ' ~ from_date ~ ')', month, day) }} >= {{ from_date }}
            then {{ member_analytics.calendar_date_clamped('extract(year from ' ~ from_date ~ ')', month, day) }}
        else {{ member_analytics.calendar_date_clamped('extract(year from ' ~ from_date ~ ') + 1', month, day) }}
    end
{%- endmacro %}


{#- date_expression moved by calendar months, clamped to the month end. -#}
{% macro add_calendar_months(date_expression, months) -%}
    cast({{ dbt.dateadd('month', months, date_expression) }} as date)
{%- endmacro %}


{#- date_expression moved by a number of days, as a date. -#}
{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}


{#- An integer or decimal expression as text, for reasons. -#}
{% macro as_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}


{#- The day a 3+3+3 follow-up is due after the first valid purchase. -#}
{% macro followup_due_date(first_purchase_date, followup) -%}
    {%- if followup == '3_days' -%}
        {{ member_analytics.add_days(first_purchase_date, member_analytics.audience_var('followup_first_days')) }}
    {%- elif followup == '3_weeks' -%}
        {{ member_analytics.add_days(first_purchase_date, member_analytics.audience_var('followup_second_days')) }}
    {%- elif followup == '3_months' -%}
        {{ member_analytics.add_calendar_months(first_purchase_date, member_analytics.audience_var('followup_third_months')) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("member_analytics: unknown follow-up '" ~ followup ~ "'") }}
    {%- endif -%}
{%- endmacro %}


{#- "1 day", "3 days": a count and its noun, as text. -#}
{% macro count_words(expression, singular, plural) -%}
    concat(
        {{ member_analytics.as_text(expression) }},
        case when {{ expression }} = 1 then ' {{ singular }}' else ' {{ plural }}' end
    )
{%- endmacro %}


{#- Who receives greetings: registered members and recent buyers. -#}
{% macro receives_greetings(relation) -%}
    ({{ relation }}.is_registered_member
    or {{ relation }}.recency_days <= {{ member_analytics.audience_var('greeting_max_recency_days') }})
{%- endmacro %}
