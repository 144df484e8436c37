{#- Profile rows (docs/decisions/0070): for every shop of `shops` and every
    column of `metrics` in `relation` (one row per shop), a row
    (shop_id, table_name, metric_name, metric_value as double), unioned. A shop
    with no row in `relation` gets 0 for the metrics listed in `zero_when_absent`
    (counts) and null for the others (extremes, shares of nothing). -#}
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
