-- Question: "Which members fell from excited or active to inert or dormant
-- this month, and how long have they been away?" One row per member whose
-- level fell between the previous month end and as_of_date: the call list for
-- this week, longest away first.
with

drops as (
    select * from {{ ref('fct_member_activity_drops') }}
),

final as (
    select
        shop_id,
        member_id,
        transition,
        last_visit_date,
        days_since_last_visit
    from drops
    where
        snapshot_date = {{ member_analytics.as_of_date() }}
        and from_activity_level in ('excited', 'active')
        and to_activity_level in ('inert', 'dormant')
)

select * from final
order by shop_id asc, days_since_last_visit desc, member_id asc
