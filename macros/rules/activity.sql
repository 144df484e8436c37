{#- Activity rules (docs/decisions/0040); described in _rules__macros.yml. -#}
{% macro activity_level(days_since_last_visit, visit_days_in_window, days_since_start) -%}
    case
        when {{ days_since_last_visit }} is null
            and {{ days_since_start }} <= {{ member_analytics.validated_number('member_analytics__activity__not_yet_visited_max_days') }}
            then 'not_yet_visited'
        when {{ days_since_last_visit }} is null
            or {{ days_since_last_visit }} >= {{ member_analytics.validated_number('member_analytics__activity__dormant_min_days') }}
            then 'dormant'
        when {{ days_since_last_visit }} <= {{ member_analytics.validated_number('member_analytics__activity__excited_max_days') }}
            and {{ visit_days_in_window }} >= {{ member_analytics.validated_number('member_analytics__activity__excited_min_visit_days') }}
            then 'excited'
        when {{ days_since_last_visit }} <= {{ member_analytics.validated_number('member_analytics__activity__active_max_days') }}
            then 'active'
        else 'inert'
    end
{%- endmacro %}


{#- The one trailing-window rule of the member state; described in _rules__macros.yml. -#}
{% macro trailing_window_start(end_date, days) -%}
    cast({{ dbt.dateadd('day', '1 - (' ~ days ~ ')', end_date) }} as date)
{%- endmacro %}


{#- A member's start: registration when registered, else first seen. -#}
{% macro membership_start_date(members) -%}
    coalesce({{ members }}.registered_date, {{ members }}.first_seen_date)
{%- endmacro %}


{#- Loyalty: high for repeat buying in the loyalty window, else low. -#}
{% macro loyalty_level(purchases_in_window, purchase_days_in_window) -%}
    case
        when
            coalesce({{ purchases_in_window }}, 0)
            >= {{ member_analytics.validated_number('member_analytics__loyalty__high_min_purchases') }}
            and coalesce({{ purchase_days_in_window }}, 0)
            >= {{ member_analytics.validated_number('member_analytics__loyalty__high_min_purchase_days') }}
            then 'high'
        else 'low'
    end
{%- endmacro %}
