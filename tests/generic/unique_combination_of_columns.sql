{#- The composite primary key: no two rows share the combination of columns. dbt-utils'
    name and argument on purpose (the compatible subset: no package hub is reachable;
    docs/decisions/0127). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as number_of_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
