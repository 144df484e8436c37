{#- The raw-data contract as data: the ONE place it is written. docs/raw_data_contract.md's
    tables are generated from these two literals (member_analytics.contract_docs, checked by
    pytests/test_contract_docs.py); keep them plain literals. Described in _contract__macros.yml. -#}
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
        'campaign_sends': {
            'required': ['send_id', 'member_id', 'audience', 'sent_at'],
            'optional': ['offer', 'channel'],
        },
        'campaign_assignments': {
            'required': ['member_id', 'audience', 'assigned_date', 'arm'],
            'optional': [],
        },
    }) }}
{% endmacro %}


{#- The kind of every contract column (one kind per column name, in every table): which
    typed (Parquet or warehouse) column types it accepts and how they become text. -#}
{% macro raw_column_kinds() %}
    {{ return({
        'shop_id': 'key', 'order_id': 'key', 'member_id': 'key', 'product_id': 'key',
        'event_id': 'key', 'session_id': 'key', 'request_id': 'key', 'send_id': 'key',
        'status': 'code', 'event_type': 'code', 'audience': 'code', 'arm': 'code',
        'channel': 'text', 'gender': 'text', 'province': 'text', 'city': 'text', 'phone': 'text',
        'nickname': 'text', 'product_name': 'text', 'category': 'text', 'brand': 'text', 'reason': 'text',
        'offer': 'text',
        'ordered_at': 'timestamp', 'refunded_at': 'timestamp', 'updated_at': 'timestamp',
        'registered_at': 'timestamp', 'launched_at': 'timestamp', 'occurred_at': 'timestamp',
        'resolved_at': 'timestamp', 'sent_at': 'timestamp',
        'birth_date': 'date', 'assigned_date': 'date',
        'paid_amount': 'amount', 'refunded_amount': 'amount', 'discount_amount': 'amount',
        'unit_price': 'amount', 'line_amount': 'amount', 'list_price': 'amount',
        'quantity': 'integer', 'rating': 'integer', 'points': 'integer',
        'is_marketing_opt_out': 'boolean',
    }) }}
{% endmacro %}


{#- Which type classes (raw_type_class) each kind accepts. -#}
{% macro raw_kind_accepts() %}
    {{ return({
        'key': ['string', 'integer'],
        'code': ['string'],
        'text': ['string', 'integer'],
        'timestamp': ['string', 'timestamp', 'timestamp_tz', 'date'],
        'date': ['string', 'date', 'timestamp'],
        'amount': ['string', 'integer', 'decimal', 'float'],
        'integer': ['string', 'integer', 'decimal', 'float'],
        'boolean': ['string', 'boolean', 'integer'],
    }) }}
{% endmacro %}


{#- Every column of a contract table, in landing-view order. -#}
{% macro raw_contract_columns(table_name) %}
    {% set spec = member_analytics.raw_contract()[table_name] %}
    {{ return(['shop_id'] + spec['required'] + spec['optional']) }}
{% endmacro %}
