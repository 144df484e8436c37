-- Question: "Each month, what share of our one-time buyers made a second
-- purchase?" (the first step of the loyalty ladder). One row per shop and
-- month end (the as_of_date month is partial): one-time buyers at the
-- previous month end, how many of them moved up, and the rate.
with

ladder as (
    select * from {{ ref('rpt_loyalty_ladder') }}
    where loyalty_ladder_step = 1
),

final as (
    select
        shop_id,
        snapshot_date,
        members_at_previous_snapshot as one_time_buyers_before,
        members_moved_up_from as moved_to_second_purchase,
        step_up_rate as second_purchase_rate
    from ladder
    where members_at_previous_snapshot > 0
)

select * from final
order by shop_id, snapshot_date
