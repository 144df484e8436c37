-- Question: "Which members who complained in the last 30 days have we not
-- followed up?" One row per member with at least one complaint in the 30
-- days up to as_of_date that is still unresolved and was not followed by a
-- good review: how many such complaints, the latest, and whether we can call
-- them. Most complaints first, then the most recent.
with

followups as (
    select * from {{ ref('fct_complaint_followups') }}
),

recent as (
    select * from followups
    where days_since_complaint < 30
),

final as (
    select
        shop_id,
        member_id,
        count(*) as open_complaints,
        max(complaint_date) as latest_complaint_date,
        min(days_since_complaint) as days_since_latest_complaint,
        max(case when has_phone then 1 else 0 end) = 1 as has_phone
    from recent
    group by shop_id, member_id
)

select * from final
order by shop_id asc, open_complaints desc, latest_complaint_date desc, member_id asc
