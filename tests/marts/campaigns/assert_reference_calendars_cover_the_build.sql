{{ config(severity='warn') }}
-- Warns (does not fail) when the reference calendars run out: the seed
-- holidays must reach as_of_date + the care-calendar horizon, and the seed
-- promotion_windows must reach as_of_date (a promotion on or after it), else
-- holiday greetings and promotion reports silently go empty. Extend the seeds
-- (decisions 0050, 0060).
{%- set horizon_days = member_analytics.audience_var('care_calendar_days') %}
with

build_day as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

coverage as (
    select
        (select max(holiday_date) from {{ ref('holidays') }}) as last_holiday_date,
        (select max(promotion_date) from {{ ref('promotion_windows') }}) as last_promotion_date
),

checks as (
    select
        'holidays' as seed_name,
        coverage.last_holiday_date as covered_until,
        {{ member_analytics.add_days('build_day.as_of_date', horizon_days) }} as needed_until
    from build_day cross join coverage
    union all
    select
        'promotion_windows' as seed_name,
        coverage.last_promotion_date as covered_until,
        build_day.as_of_date as needed_until
    from build_day cross join coverage
)

select
    seed_name,
    covered_until,
    needed_until
from checks
where covered_until is null or covered_until < needed_until
