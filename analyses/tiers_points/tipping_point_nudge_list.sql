-- Question: "Which members are one small step from their next tier, what
-- would get them there, and when do they lapse if they do nothing?" One row
-- per shop, member and scheme at the tipping point (is_near_upgrade), the
-- smallest gaps first: the audience for a "you are almost gold" message.
with

current_tiers as (
    select * from {{ ref('fct_member_tiers_current') }}
),

final as (
    select
        shop_id,
        scheme_name,
        member_id,
        tier_name,
        next_tier_name,
        gap_to_next_tier,
        lapses_on
    from current_tiers
    where is_near_upgrade
)

select * from final
order by shop_id asc, scheme_name asc, gap_to_next_tier asc, member_id asc
