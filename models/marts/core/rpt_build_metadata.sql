-- One row: the resolved as_of_date (and where it came from), the validity
-- window and every threshold var of this build, so a mart can always be traced
-- to the settings that made it. No timestamps: rebuilding the same data with
-- the same as_of_date gives the same row.
{%- set thresholds = {} -%}
{%- for name in member_analytics.threshold_var_names() -%}
    {%- do thresholds.update({name: var(name)}) -%}
{%- endfor %}

with

final as (
    select
        '{{ project_name }}' as project_name,
        -- var: given, as the var or as env MEMBER_ANALYTICS_AS_OF_DATE, the way
        -- member-analytics build passes the var (docs/decisions/0140)
        case
            when '{{ member_analytics.as_of_date_value() }}' = ''
                then 'latest_valid_order'
            else 'var'
        end as as_of_date_source,
        {{ member_analytics.string_literal(tojson(thresholds, sort_keys=true) | replace("'", "")) }} as thresholds_json,
        {{ member_analytics.as_of_date() }} as as_of_date,
        {{ member_analytics.earliest_valid_date() }} as earliest_valid_date,
        {{ member_analytics.latest_valid_date() }} as latest_valid_date
)

select * from final
