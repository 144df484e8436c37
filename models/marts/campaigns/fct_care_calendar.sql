-- One row per shop, member, care date and care type from as_of_date to the
-- care-calendar days after it: birthdays (registered members with a birth
-- date; 29 February on 28 February in other years), the 3+3+3 follow-ups
-- after the first valid purchase, membership anniversaries (registration
-- day, from the first year on) and holidays (seed holidays) for registered
-- members and recent buyers (docs/decisions/0060).
{%- set horizon_days = member_analytics.audience_var('care_calendar_days') %}
with

facts as (
    select * from {{ ref('fct_audience_member_facts') }}
    where is_as_of_date
),

holidays as (
    select * from {{ ref('holidays') }}
),

birthdays as (
    select
        shop_id,
        member_id,
        as_of_date,
        'birthday' as care_type,
        'Birthday' as care_name,
        {{ member_analytics.next_anniversary('birth_month', 'birth_day', 'as_of_date') }} as care_date
    from facts
    where is_registered_member and birth_month is not null and birth_day is not null
),

{%- set followups = [('3_days', '3-day follow-up after the first purchase'),
                     ('3_weeks', '3-week follow-up after the first purchase'),
                     ('3_months', '3-month follow-up after the first purchase')] %}

followups as (
    {%- for followup, name in followups %}
        select
            shop_id,
            member_id,
            as_of_date,
            'followup_{{ followup }}' as care_type,
            '{{ name }}' as care_name,
            {{ member_analytics.followup_due_date('first_purchase_date', followup) }} as care_date
        from facts
        where first_purchase_date is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

anniversaries as (
    select
        shop_id,
        member_id,
        as_of_date,
        'membership_anniversary' as care_type,
        'Membership anniversary' as care_name,
        {{ member_analytics.next_anniversary(
            'extract(month from registered_date)', 'extract(day from registered_date)', 'as_of_date') }} as care_date,
        registered_date
    from facts
    where is_registered_member
),

holiday_dates as (
    select
        facts.shop_id,
        facts.member_id,
        facts.as_of_date,
        'holiday' as care_type,
        holidays.holiday_name as care_name,
        holidays.holiday_date as care_date
    from facts
    inner join holidays
        on
            facts.as_of_date <= holidays.holiday_date
            and holidays.holiday_date <= {{ member_analytics.add_days('facts.as_of_date', horizon_days) }}
    where {{ member_analytics.receives_greetings('facts') }}
),

all_dates as (
    select * from birthdays
    union all
    select * from followups
    union all
    select
        shop_id,
        member_id,
        as_of_date,
        care_type,
        care_name,
        care_date
    from anniversaries
    where care_date > registered_date
    union all
    select * from holiday_dates
),

final as (
    select
        shop_id,
        member_id,
        care_date,
        care_type,
        care_name,
        cast({{ dbt.datediff('as_of_date', 'care_date', 'day') }} as int) as days_until,
        as_of_date
    from all_dates
    where
        care_date >= as_of_date
        and care_date <= {{ member_analytics.add_days('as_of_date', horizon_days) }}
)

select * from final
