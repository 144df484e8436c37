{#- The raw-data contract as data (docs/raw_data_contract.md); described in _contract__macros.yml. -#}
{% macro raw_contract() %}
    {{ return({
        'orders': {
            'required': ['order_id', 'member_id', 'ordered_at', 'status', 'paid_amount'],
            'optional': ['refunded_amount', 'refunded_at', 'discount_amount', 'channel', 'updated_at'],
        },
        'order_items': {
            'required': ['order_id', 'product_id', 'quantity', 'unit_price'],
            'optional': ['line_amount'],
        },
        'members': {
            'required': ['member_id'],
            'optional': ['registered_at', 'gender', 'birth_date', 'province', 'city', 'phone',
                         'nickname', 'is_marketing_opt_out'],
        },
        'products': {
            'required': ['product_id'],
            'optional': ['product_name', 'category', 'brand', 'list_price', 'launched_at'],
        },
        'behavior_events': {
            'required': ['member_id', 'event_type', 'occurred_at'],
            'optional': ['product_id', 'session_id'],
        },
        'service_events': {
            'required': ['member_id', 'event_type', 'occurred_at'],
            'optional': ['event_id', 'order_id', 'product_id', 'rating', 'resolved_at'],
        },
        'points_events': {
            'required': ['member_id', 'occurred_at', 'points', 'reason'],
            'optional': ['request_id'],
        },
    }) }}
{% endmacro %}


{#- Every column of a contract table, in landing-view order. -#}
{% macro raw_contract_columns(table_name) %}
    {% set spec = member_analytics.raw_contract()[table_name] %}
    {{ return(['shop_id'] + spec['required'] + spec['optional']) }}
{% endmacro %}
