-- Per member: earned - redeemed - reversed - expired = balance, the balance is
-- the last running balance of the ledger, and no running balance is negative.
with

balances as (
    select * from {{ ref('fct_member_points_balance') }}
),

ledger as (
    select * from {{ ref('fct_member_points_ledger') }}
),

last_movements as (
    select
        shop_id,
        member_id,
        balance_after
    from (
        select
            *,
            row_number() over (partition by shop_id, member_id order by movement_sequence desc) as recency_rank
        from ledger
    ) as ranked
    where recency_rank = 1
),

negative as (
    select
        shop_id,
        member_id
    from ledger
    where balance_after < 0 or shortfall_points < 0
    group by shop_id, member_id
)

select
    balances.shop_id,
    balances.member_id
from balances
left join last_movements
    on balances.shop_id = last_movements.shop_id and balances.member_id = last_movements.member_id
where
    balances.earned_points - balances.redeemed_points - balances.reversed_points - balances.expired_points
    != balances.balance_points
    or last_movements.balance_after is null
    or last_movements.balance_after != balances.balance_points

union all

select
    shop_id,
    member_id
from negative
