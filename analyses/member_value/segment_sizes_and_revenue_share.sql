-- Question: "Which RFM segments hold our buyers and our revenue, and what do
-- we do with each?" One row per shop and segment: members, net revenue, the
-- segment's share of the shop's buyers and net revenue, and the suggested
-- action; most valuable segment first.
with

rfm as (
    select * from {{ ref('fct_member_rfm') }}
),

segments as (
    select * from {{ ref('rfm_segments') }}
),

per_segment as (
    select
        shop_id,
        rfm_segment,
        count(*) as members,
        sum(monetary) as net_revenue
    from rfm
    group by shop_id, rfm_segment
),

final as (
    select
        per_segment.shop_id,
        per_segment.rfm_segment,
        segments.suggested_action,
        per_segment.members,
        per_segment.net_revenue,
        per_segment.members * 1.0 / sum(per_segment.members) over (partition by per_segment.shop_id)
            as share_of_members,
        cast(per_segment.net_revenue as double)
        / sum(cast(per_segment.net_revenue as double)) over (partition by per_segment.shop_id)
            as share_of_net_revenue,
        segments.segment_order
    from per_segment
    inner join segments
        on per_segment.rfm_segment = segments.rfm_segment
)

select * from final
order by shop_id, segment_order
