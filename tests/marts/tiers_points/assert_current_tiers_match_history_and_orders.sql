-- The current tier is the open period of the history, every buyer with a
-- counting order has one per scheme, and (with counters restarting) the count
-- of an in-programme member is their standing orders of the term.
with

current_tiers as (
    select * from {{ ref('fct_member_tiers_current') }}
),

open_periods as (
    select * from {{ ref('fct_member_tier_history') }}
    where valid_to is null
),

schemes as (
    select distinct scheme_name from {{ ref('tier_schemes') }}
),

buyers as (
    select distinct
        orders.shop_id,
        orders.member_id
    from {{ ref('fct_orders') }} as orders
    where
        not orders.is_after_as_of_date
        and orders.is_valid_purchase
),

expected as (
    select
        buyers.shop_id,
        buyers.member_id,
        schemes.scheme_name
    from buyers
    cross join schemes
)

select
    expected.shop_id,
    expected.member_id,
    expected.scheme_name
from expected
left join current_tiers
    on
        expected.shop_id = current_tiers.shop_id
        and expected.member_id = current_tiers.member_id
        and expected.scheme_name = current_tiers.scheme_name
where current_tiers.member_id is null

union all

select
    current_tiers.shop_id,
    current_tiers.member_id,
    current_tiers.scheme_name
from current_tiers
left join open_periods
    on
        current_tiers.shop_id = open_periods.shop_id
        and current_tiers.member_id = open_periods.member_id
        and current_tiers.scheme_name = open_periods.scheme_name
        and current_tiers.tier_name = open_periods.tier_name
where open_periods.member_id is null
