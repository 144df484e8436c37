-- One row per shop and member of dim_members as of as_of_date: the member's
-- start, visit days in the window, first and last visit, their typical visit
-- cycle (median gap between visit days) and how overdue they are against it,
-- and the activity level with its high/low group (docs/decisions/0040).
with

members as (
    select * from {{ ref('dim_members') }}
),

visit_days as (
    select * from {{ ref('int_member_visit_days') }}
),

levels as (
    select * from {{ ref('activity_levels') }}
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

visits as (
    select
        visit_days.shop_id,
        visit_days.member_id,
        count(*) as total_visit_days,
        sum(
            case when visit_days.visit_date >= {{ member_analytics.activity_window_start('as_of.as_of_date') }} then 1 else 0 end
        ) as visit_days_in_window,
        min(visit_days.visit_date) as first_visit_date,
        max(visit_days.visit_date) as last_visit_date,
        {{ member_analytics.median('visit_days.days_since_previous_visit') }} as median_gap_days
    from visit_days
    cross join as_of
    group by visit_days.shop_id, visit_days.member_id
),

measured as (
    select
        members.shop_id,
        members.member_id,
        as_of.as_of_date,
        {{ member_analytics.membership_start_date('members') }} as membership_start_date,
        cast({{ dbt.datediff(member_analytics.membership_start_date('members'), 'as_of.as_of_date', 'day') }} as int)
            as days_since_membership_start,
        coalesce(visits.visit_days_in_window, 0) as visit_days_in_window,
        visits.first_visit_date,
        visits.last_visit_date,
        cast({{ dbt.datediff('visits.last_visit_date', 'as_of.as_of_date', 'day') }} as int) as days_since_last_visit,
        coalesce(visits.total_visit_days, 0) as total_visit_days,
        cast(2 * visits.median_gap_days as bigint) as twice_median_gap_days
    from members
    cross join as_of
    left join visits
        on
            members.shop_id = visits.shop_id
            and members.member_id = visits.member_id
),

leveled as (
    select
        *,
        {{ member_analytics.activity_level('days_since_last_visit', 'visit_days_in_window', 'days_since_membership_start') }}
            as activity_level
    from measured
),

final as (
    select
        leveled.shop_id,
        leveled.member_id,
        leveled.as_of_date,
        leveled.membership_start_date,
        leveled.days_since_membership_start,
        cast(leveled.visit_days_in_window as int) as visit_days_in_window,
        leveled.first_visit_date,
        leveled.last_visit_date,
        leveled.days_since_last_visit,
        cast(leveled.total_visit_days as int) as total_visit_days,
        cast(leveled.twice_median_gap_days / 2.0 as decimal(10, 1)) as typical_visit_cycle_days,
        case
            when leveled.twice_median_gap_days > 0
                then {{ member_analytics.ratio_to_hundredths('2 * leveled.days_since_last_visit', 'leveled.twice_median_gap_days') }}
        end as overdue_factor,
        leveled.activity_level,
        levels.activity_group,
        cast(levels.level_rank as int) as activity_level_rank
    from leveled
    left join levels
        on leveled.activity_level = levels.activity_level
)

select * from final
