-- One row per data-quality threshold var (member_analytics__quality__*) with
-- its value in this build: the bounds the Great Expectations suites apply
-- (docs/decisions/0070). The suites read them from here, so a --vars override
-- given to dbt reaches them without dbt_project.yml being parsed twice.
{%- set names = [] %}
{%- for name in member_analytics.threshold_var_names() if name.startswith('member_analytics__quality__') %}
    {%- do names.append(name) %}
{%- endfor %}
with

thresholds as (
    {% for name in names %}
        select
            '{{ name }}' as threshold_name,
            cast({{ member_analytics.validated_number(name) }} as double) as threshold_value
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        threshold_name,
        threshold_value
    from thresholds
)

select * from final
