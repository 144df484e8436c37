{#- The purchase and refund rule (docs/raw_data_contract.md), the one
    definition every model uses. Arguments are column expressions. -#}

{#- Refunded money of an order: the refunded_amount given, else all of it when
    the status is 'refunded', else nothing. -#}
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


{#- A valid purchase: paid, shipped, completed or refunded and not refunded in
    full; or a free (paid_amount = 0) order with a paid status. `refunded` is the
    refunded money that applies at the date of interest. -#}
{% macro is_valid_purchase(status, paid_amount, refunded) -%}
    (
        ({{ status }} in ('paid', 'shipped', 'completed', 'refunded') and {{ refunded }} < {{ paid_amount }})
        or ({{ paid_amount }} = 0 and {{ status }} in ('paid', 'shipped', 'completed'))
    )
{%- endmacro %}
