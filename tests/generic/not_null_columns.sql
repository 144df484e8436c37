{#- Every listed column is filled in every row: one scan of the model for all its
    columns instead of one not_null test per column (docs/decisions/0113: each dbt test
    node costs about 40 ms of Python however small its table). Fails with one row per
    column that holds nulls, naming the column and how many rows. -#}
{% test not_null_columns(model, columns) %}

with counted as (
    select
    {%- for column_name in columns %}
        sum(case when {{ column_name }} is null then 1 else 0 end) as null_rows_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)

{% for column_name in columns -%}
select
    '{{ column_name }}' as column_name,
    null_rows_{{ loop.index }} as null_rows
from counted
where null_rows_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}
