-- Question: "Which regulars (visiting about weekly or more often) have now
-- been away for at least three of their own usual gaps?" One row per member
-- with a typical visit cycle of at most 7 days over at least 5 visit days and
-- an overdue factor of 3 or more, most overdue first: a reminder before they
-- go dormant.
with

activity as (
    select * from {{ ref('fct_member_activity') }}
),

final as (
    select
        shop_id,
        member_id,
        activity_level,
        typical_visit_cycle_days,
        days_since_last_visit,
        overdue_factor
    from activity
    where
        total_visit_days >= 5
        and typical_visit_cycle_days <= 7
        and overdue_factor >= 3
)

select * from final
order by shop_id asc, overdue_factor desc, member_id asc
