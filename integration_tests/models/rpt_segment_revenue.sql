-- The consumer's own model on top of a public mart of the package: members and
-- their spend per shop and RFM segment.
with

member_rfm as (
    select * from {{ ref('member_analytics', 'fct_member_rfm') }}
),

final as (
    select
        member_rfm.shop_id,
        member_rfm.rfm_segment,
        count(*) as number_of_members,
        sum(member_rfm.monetary) as monetary
    from member_rfm
    group by member_rfm.shop_id, member_rfm.rfm_segment
)

select * from final
