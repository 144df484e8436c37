{#- Tier and points rules (docs/decisions/0030, 0031); described in _rules__macros.yml. -#}

{#- An order that counts for tiers and points from its order day. -#}
{% macro is_counting_order(status, paid_amount) -%}
    {{ member_analytics.is_valid_purchase(status, paid_amount, 'cast(0 as decimal(18, 2))') }}
{%- endmacro %}


{#- true when counters restart after a lapse (var tiers__counters_after_lapse). -#}
{% macro tier_counters_restart() %}
    {% set value = var('member_analytics__tiers__counters_after_lapse') | string %}
    {% if value not in ('restart', 'keep') %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var 'member_analytics__tiers__counters_after_lapse' must be restart or keep, got '"
            ~ value ~ "'") }}
    {% endif %}
    {{ return(value == 'restart') }}
{% endmacro %}


{#- The measure a scheme ranks members by: purchase count or net spend. -#}
{% macro tier_measure(basis, cumulative_count, cumulative_net_spend) -%}
    case
        when {{ basis }} = 'purchase_count' then cast({{ cumulative_count }} as decimal(18, 2))
        else {{ cumulative_net_spend }}
    end
{%- endmacro %}


{#- True for the period of the tier history that contains the date. -#}
{% macro tier_period_contains(history, date_expression) -%}
    (
        {{ history }}.valid_from <= {{ date_expression }}
        and ({{ history }}.valid_to is null or {{ date_expression }} < {{ history }}.valid_to)
    )
{%- endmacro %}


{#- Purchase points for an amount of money, in integer cents. -#}
{% macro purchase_points(amount, multiplier) -%}
    {%- set rate = member_analytics.validated_number('member_analytics__points__yuan_per_point') | float -%}
    {%- if rate <= 0 -%}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var 'member_analytics__points__yuan_per_point' must be above 0, got '" ~ rate ~ "'") }}
    {%- endif -%}
    (
        {{ member_analytics.integer_divide(
            'cast(round(' ~ amount ~ ' * 100) as bigint)', (rate * 100) | round | int) }}
        * {{ multiplier }}
    )
{%- endmacro %}


{#- The refund of an order as it stands on the as-of date. -#}
{% macro refund_as_of_columns(orders, as_of_date_expression) -%}
    case
        when {{ orders }}.refund_date <= {{ as_of_date_expression }} then {{ orders }}.refund_amount
        else cast(0 as decimal(18, 2))
    end as refund_amount,
    case
        when {{ orders }}.refund_date <= {{ as_of_date_expression }}
            then greatest({{ orders }}.refund_date, {{ orders }}.ordered_date)
    end as refund_date
{%- endmacro %}


{#- The tipping point: near the next tier. -#}
{% macro is_near_upgrade(basis, next_tier_lower_bound, measure) -%}
    coalesce(
        case
            when {{ basis }} = 'purchase_count'
                then {{ next_tier_lower_bound }} - {{ measure }}
                <= {{ member_analytics.validated_number('member_analytics__tiers__near_upgrade_orders') }}
            else {{ next_tier_lower_bound }} - {{ measure }}
                <= {{ member_analytics.validated_number('member_analytics__tiers__near_upgrade_spend_share') }}
                * {{ next_tier_lower_bound }}
        end,
        false
    )
{%- endmacro %}
