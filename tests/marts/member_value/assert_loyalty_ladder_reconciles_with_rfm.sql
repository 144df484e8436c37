-- At as_of_date, the ladder's members and net revenue per shop and rung are
-- exactly those of fct_member_rfm.
with

rfm_rungs as (
    select
        shop_id,
        loyalty_ladder_step,
        count(*) as members,
        sum(monetary) as net_revenue
    from {{ ref('fct_member_rfm') }}
    group by shop_id, loyalty_ladder_step
),

ladder as (
    select * from {{ ref('rpt_loyalty_ladder') }}
    where snapshot_date = {{ member_analytics.as_of_date() }}
)

select
    coalesce(rfm_rungs.shop_id, ladder.shop_id) as shop_id,
    coalesce(rfm_rungs.loyalty_ladder_step, ladder.loyalty_ladder_step) as loyalty_ladder_step,
    rfm_rungs.members as rfm_members,
    ladder.members as ladder_members
from rfm_rungs
full outer join ladder
    on
        rfm_rungs.shop_id = ladder.shop_id
        and rfm_rungs.loyalty_ladder_step = ladder.loyalty_ladder_step
where
    coalesce(rfm_rungs.members, 0) <> coalesce(ladder.members, 0)
    or coalesce(rfm_rungs.net_revenue, 0) <> coalesce(ladder.net_revenue, 0)
