-- One row per shop and member of dim_members as of as_of_date: the member's
-- start, visit days in the window, first and last visit, their typical visit
-- cycle (median gap between visit days) and how overdue they are against it,
-- and the activity level with its high/low group (docs/decisions/0040). The
-- state is int_member_states at as_of_date; the visit totals and the cycle
-- (a median, only shown here) are computed here, not at every snapshot.
with

member_states as (
    select * from {{ ref('int_member_states') }}
    where is_as_of_date
),

visit_days as (
    select * from {{ ref('int_member_visit_days') }}
),

visits as (
    select
        shop_id,
        member_id,
        count(*) as total_visit_days,
        min(visit_date) as first_visit_date,
        {{ member_analytics.median('days_since_previous_visit') }} as median_gap_days
    from visit_days
    group by shop_id, member_id
),

measured as (
    select
        member_states.*,
        visits.first_visit_date,
        coalesce(visits.total_visit_days, 0) as total_visit_days,
        cast(2 * visits.median_gap_days as bigint) as twice_median_gap_days
    from member_states
    left join visits
        on
            member_states.shop_id = visits.shop_id
            and member_states.member_id = visits.member_id
),

final as (
    select
        shop_id,
        member_id,
        evaluation_date as as_of_date,
        membership_start_date,
        days_since_membership_start,
        visit_days_in_window,
        first_visit_date,
        last_visit_date,
        days_since_last_visit,
        cast(total_visit_days as int) as total_visit_days,
        cast(twice_median_gap_days / 2.0 as decimal(10, 1)) as typical_visit_cycle_days,
        case
            when twice_median_gap_days > 0
                then {{ member_analytics.ratio_to_hundredths('2 * days_since_last_visit', 'twice_median_gap_days') }}
        end as overdue_factor,
        activity_level,
        activity_group,
        activity_level_rank
    from measured
)

select * from final
