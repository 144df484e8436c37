{#- Periods of one entity ([valid_from, valid_to), valid_to null when open)
    never overlap and leave no gap: each period ends where the next begins,
    and only the last one is open. -#}
{% test contiguous_periods(model, partition_by, valid_from='valid_from', valid_to='valid_to') %}

with

periods as (
    select
        {{ partition_by | join(', ') }},
        {{ valid_from }} as period_start,
        {{ valid_to }} as period_end,
        lead({{ valid_from }}) over (
            partition by {{ partition_by | join(', ') }}
            order by {{ valid_from }}
        ) as next_period_start
    from {{ model }}
)

select * from periods
where
    period_start is null
    or (period_end is not null and period_end <= period_start)
    or (period_end is null and next_period_start is not null)
    or (period_end is not null and next_period_start is null)
    or period_end != next_period_start

{% endtest %}
