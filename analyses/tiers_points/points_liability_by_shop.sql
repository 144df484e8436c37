-- Question: "How many points do our members hold (the liability if all were
-- redeemed), how much expired at lapses, and how often did members ask for
-- more than they had?" One row per shop, as of as_of_date.
with

balances as (
    select * from {{ ref('fct_member_points_balance') }}
),

final as (
    select
        shop_id,
        count(*) as members_with_points_history,
        sum(case when balance_points > 0 then 1 else 0 end) as members_holding_points,
        sum(balance_points) as outstanding_points,
        sum(earned_points) as earned_points,
        sum(redeemed_points) as redeemed_points,
        sum(expired_points) as expired_points,
        sum(case when shortfall_points > 0 then 1 else 0 end) as members_with_shortfall,
        sum(shortfall_points) as shortfall_points
    from balances
    group by shop_id
)

select * from final
order by shop_id asc
