{#- The purchase and refund rule (docs/decisions/0001); described in _rules__macros.yml. -#}

{#- Refunded money of an order. -#}
{% macro order_refunded_amount(refunded_amount, status, paid_amount) -%}
    coalesce(
        {{ refunded_amount }},
        case when {{ status }} = 'refunded' then {{ paid_amount }} else cast(0 as decimal(18, 2)) end
    )
{%- endmacro %}


{#- The date a refund takes effect: refunded_at, else updated_at, else the order date. -#}
{% macro order_refund_date(refunded_at, updated_at, ordered_at) -%}
    cast(coalesce({{ refunded_at }}, {{ updated_at }}, {{ ordered_at }}) as date)
{%- endmacro %}


{#- A valid purchase, given the refund that applies at the date of interest. -#}
{% macro is_valid_purchase(status, paid_amount, refunded) -%}
    (
        ({{ status }} in ('paid', 'shipped', 'completed', 'refunded') and {{ refunded }} < {{ paid_amount }})
        or ({{ paid_amount }} = 0 and {{ status }} in ('paid', 'shipped', 'completed'))
    )
{%- endmacro %}
