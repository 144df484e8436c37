{#- The lifecycle stage rule (docs/decisions/0012), once for the current stage and its
    history (docs/decisions/0125); described in _rules__macros.yml. -#}

{#- A buyer's stage at a date (purchase_days_to_date at least 1): loyal (enough purchase
    days in the loyal window ending on the date), repeat (two or more), new (one, the first
    within the new-buyer window), sleeping (one, longer ago). -#}
{% macro lifecycle_buyer_stage(purchase_days_to_date, purchase_days_in_loyal_window, first_purchase_date,
                               stage_date) -%}
    {%- set new_window_days = member_analytics.validated_number('member_analytics__lifecycle__new_buyer_window_days') -%}
    {%- set loyal_min_purchase_days = member_analytics.validated_number(
        'member_analytics__lifecycle__loyal_min_purchase_days') -%}
    case
        when {{ purchase_days_in_loyal_window }} >= {{ loyal_min_purchase_days }} then 'loyal'
        when {{ purchase_days_to_date }} >= 2 then 'repeat'
        when {{ dbt.datediff(first_purchase_date, stage_date, 'day') }} <= {{ new_window_days }} then 'new'
        else 'sleeping'
    end
{%- endmacro %}


{#- The rule code that placed a member in a stage. -#}
{% macro lifecycle_stage_rule(lifecycle_stage) -%}
    case {{ lifecycle_stage }}
        when 'loyal' then 'purchase_days_in_loyal_window_at_least_minimum'
        when 'repeat' then 'two_or_more_purchase_days'
        when 'new' then 'one_purchase_day_within_new_buyer_window'
        when 'sleeping' then 'one_purchase_day_before_new_buyer_window'
        when 'potential' then 'favorite_or_cart_without_purchase'
        else 'no_purchase_no_favorite_or_cart'
    end
{%- endmacro %}
