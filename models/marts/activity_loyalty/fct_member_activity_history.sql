-- One row per shop, member and snapshot date (every month end since the first
-- kept order, and as_of_date) from the member's start: visit days in the
-- window, days since the last visit and the activity level as they stood on
-- that date (docs/decisions/0040): int_member_states at its history snapshot
-- dates.
with

member_states as (
    select * from {{ ref('int_member_states') }}
    where
        is_history_snapshot_date
        and evaluation_date >= membership_start_date
),

final as (
    select
        shop_id,
        member_id,
        evaluation_date as snapshot_date,
        days_since_membership_start,
        visit_days_in_window,
        last_visit_date,
        days_since_last_visit,
        activity_level,
        activity_group,
        activity_level_rank
    from member_states
)

select * from final
