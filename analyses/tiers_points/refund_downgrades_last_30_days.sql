-- Question: "Who lost a spend tier because of a refund in the last 30 days,
-- from which tier to which?" One row per shop, member and downgrade (or lapse
-- caused by a refund) in the by-spend scheme dated in the 30 days up to
-- as_of_date: the members to check on (quality problem? wrong size?).
with

changes as (
    select * from {{ ref('fct_member_tier_changes') }}
),

final as (
    select
        shop_id,
        member_id,
        change_date,
        from_tier_name,
        to_tier_name,
        change_direction,
        cumulative_net_spend
    from changes
    where
        basis = 'net_spend'
        and change_cause = 'refund'
        and change_date > cast({{ dbt.dateadd('day', -30, member_analytics.as_of_date()) }} as date)
)

select * from final
order by shop_id asc, change_date desc, member_id asc
