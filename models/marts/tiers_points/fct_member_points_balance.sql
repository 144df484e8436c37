-- One row per shop and member with a points movement up to as_of_date: points
-- earned (purchases and events), redeemed, reversed by refunds and expired at
-- lapses, the shortfall not applied, and the balance, where
-- earned - redeemed - reversed - expired = balance (docs/decisions/0031).
with

ledger as (
    select * from {{ ref('fct_member_points_ledger') }}
),

final as (
    select
        shop_id,
        member_id,
        {{ member_analytics.as_of_date() }} as as_of_date,
        cast(sum(case when movement_type in ('purchase_earned', 'event_earned') then points else 0 end) as bigint)
            as earned_points,
        cast(sum(case when movement_type = 'purchase_earned' then points else 0 end) as bigint)
            as purchase_earned_points,
        cast(-sum(case when movement_type = 'event_spent' then points else 0 end) as bigint) as redeemed_points,
        cast(-sum(case when movement_type = 'purchase_reversed' then points else 0 end) as bigint) as reversed_points,
        cast(-sum(case when movement_type = 'lapse_expired' then points else 0 end) as bigint) as expired_points,
        cast(sum(shortfall_points) as bigint) as shortfall_points,
        cast(sum(points) as bigint) as balance_points,
        cast(count(*) as bigint) as movements,
        min(movement_date) as first_movement_date,
        max(movement_date) as last_movement_date
    from ledger
    group by shop_id, member_id
)

select * from final
