-- Question: "Which of our best members (champions, loyal, cannot_lose) slipped
-- to a lower segment at the latest snapshot, and to which one?" One row per
-- shop and transition seen at as_of_date, most members first: the list the
-- CRM team calls this week.
with

changes as (
    select * from {{ ref('fct_member_segment_changes') }}
),

final as (
    select
        shop_id,
        transition,
        count(*) as members
    from changes
    where
        changed_attribute = 'rfm_segment'
        and is_downgrade
        and previous_value in ('champions', 'loyal', 'cannot_lose')
        and snapshot_date = {{ member_analytics.as_of_date() }}
    group by shop_id, transition
)

select * from final
order by shop_id asc, members desc, transition asc
