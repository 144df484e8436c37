-- One row per shop, member and snapshot date (every month end since the first
-- kept order, and as_of_date) from the member's start: visit days in the
-- window, days since the last visit and the activity level as they stood on
-- that date (docs/decisions/0040). Set-based: visit intervals and window days
-- are range-joined to the few snapshot dates, never a member × day table.
with

members as (
    select * from {{ ref('dim_members') }}
),

visit_days as (
    select * from {{ ref('int_member_visit_days') }}
),

snapshots as (
    select snapshot_date from {{ ref('int_months_spined') }}
),

levels as (
    select * from {{ ref('activity_levels') }}
),

member_snapshots as (
    select
        members.shop_id,
        members.member_id,
        snapshots.snapshot_date,
        cast({{ dbt.datediff(member_analytics.membership_start_date('members'), 'snapshots.snapshot_date', 'day') }} as int)
            as days_since_membership_start
    from members
    cross join snapshots
    where snapshots.snapshot_date >= {{ member_analytics.membership_start_date('members') }}
),

-- the last visit on or before a snapshot: the visit whose interval to the next
-- visit holds the snapshot
last_visits as (
    select
        visit_days.shop_id,
        visit_days.member_id,
        snapshots.snapshot_date,
        visit_days.visit_date as last_visit_date
    from visit_days
    inner join snapshots
        on
            visit_days.visit_date <= snapshots.snapshot_date
            and (visit_days.next_visit_date is null or visit_days.next_visit_date > snapshots.snapshot_date)
),

window_visits as (
    select
        visit_days.shop_id,
        visit_days.member_id,
        snapshots.snapshot_date,
        count(*) as visit_days_in_window
    from visit_days
    inner join snapshots
        on
            visit_days.visit_date <= snapshots.snapshot_date
            and visit_days.visit_date >= {{ member_analytics.activity_window_start('snapshots.snapshot_date') }}
    group by visit_days.shop_id, visit_days.member_id, snapshots.snapshot_date
),

measured as (
    select
        member_snapshots.shop_id,
        member_snapshots.member_id,
        member_snapshots.snapshot_date,
        member_snapshots.days_since_membership_start,
        last_visits.last_visit_date,
        cast({{ dbt.datediff('last_visits.last_visit_date', 'member_snapshots.snapshot_date', 'day') }} as int)
            as days_since_last_visit,
        cast(coalesce(window_visits.visit_days_in_window, 0) as int) as visit_days_in_window
    from member_snapshots
    left join last_visits
        on
            member_snapshots.shop_id = last_visits.shop_id
            and member_snapshots.member_id = last_visits.member_id
            and member_snapshots.snapshot_date = last_visits.snapshot_date
    left join window_visits
        on
            member_snapshots.shop_id = window_visits.shop_id
            and member_snapshots.member_id = window_visits.member_id
            and member_snapshots.snapshot_date = window_visits.snapshot_date
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
        leveled.snapshot_date,
        leveled.days_since_membership_start,
        leveled.visit_days_in_window,
        leveled.last_visit_date,
        leveled.days_since_last_visit,
        leveled.activity_level,
        levels.activity_group,
        cast(levels.level_rank as int) as activity_level_rank
    from leveled
    left join levels
        on leveled.activity_level = levels.activity_level
)

select * from final
