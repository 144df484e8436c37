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


{#- The purchase-day counts' changes (docs/decisions/0012): a purchase day adds one to both
    counts on its day and leaves the loyal window loyal_window_days later. Two union-all
    branches over a relation of purchase days (shop_id, member_id, purchase_date); running
    sums over them give the counts at any date. -#}
{% macro lifecycle_count_changes(purchase_days, date_alias, extra_columns='') -%}
    {%- set loyal_window_days = member_analytics.validated_number('member_analytics__lifecycle__loyal_window_days') -%}
    select
        shop_id,
        member_id,
        purchase_date as {{ date_alias }},
        1 as purchase_days_change,
        1 as loyal_window_change{{ extra_columns }}
    from {{ purchase_days }}
    union all
    select
        shop_id,
        member_id,
        cast({{ dbt.dateadd('day', loyal_window_days, 'purchase_date') }} as date) as {{ date_alias }},
        0 as purchase_days_change,
        -1 as loyal_window_change{{ extra_columns }}
    from {{ purchase_days }}
{%- endmacro %}
