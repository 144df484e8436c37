{#- Profile rows (docs/decisions/0070); described in _utils__macros.yml. -#}
{% macro quality_metric_rows(shops, relation, table_name, metrics, zero_when_absent=[]) %}
    {%- for metric_name in metrics %}
        select
            {{ shops }}.shop_id,
            '{{ table_name }}' as table_name,
            '{{ metric_name }}' as metric_name,
            {%- if metric_name in zero_when_absent %}
                cast(coalesce({{ relation }}.{{ metric_name }}, 0) as double) as metric_value
            {%- else %}
                cast({{ relation }}.{{ metric_name }} as double) as metric_value
            {%- endif %}
        from {{ shops }}
        left join {{ relation }}
            on {{ shops }}.shop_id = {{ relation }}.shop_id
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{% endmacro %}
