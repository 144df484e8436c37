{#- The service-event rates (docs/decisions/0050); described in _rules__macros.yml. -#}
{% macro service_event_rates(relation='') -%}
    {%- set p = relation ~ '.' if relation else '' -%}
    {%- for event, rate in [
        ('cancels', 'cancel_rate'), ('rejects', 'reject_rate'), ('returns_exchanges', 'return_exchange_rate'),
        ('complaints', 'complaint_rate'), ('reviews', 'review_rate'), ('suggestions', 'suggestion_rate'),
        ('referrals', 'referral_rate')] %}
    case
        when {{ p }}number_of_orders > 0 then cast({{ p }}number_of_{{ event }} as double) / {{ p }}number_of_orders
    end as {{ rate }},
    {%- endfor %}
    case
        when {{ p }}number_of_rated_reviews > 0 then cast({{ p }}sum_of_ratings as double) / {{ p }}number_of_rated_reviews
    end as average_rating
{%- endmacro %}
