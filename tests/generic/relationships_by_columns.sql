{#- Every row's combination of columns (e.g. shop_id, member_id) exists in the
    parent model: a relationships test for composite keys. -#}
{% test relationships_by_columns(model, columns, to, to_columns) %}

select child.*
from {{ model }} as child
left join {{ to }} as parent
    on
    {%- for column_name in columns %}
        {% if not loop.first %}and {% endif %}child.{{ column_name }} = parent.{{ to_columns[loop.index0] }}
    {%- endfor %}
where
    {%- for column_name in columns %}
        {% if not loop.first %}and {% endif %}child.{{ column_name }} is not null
    {%- endfor %}
    and parent.{{ to_columns[0] }} is null

{% endtest %}
