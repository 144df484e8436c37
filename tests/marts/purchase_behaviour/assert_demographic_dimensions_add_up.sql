-- Every dimension of rpt_member_demographics splits the whole shop: its rows
-- sum to the shop's members in dim_members (first seen on or before
-- as_of_date) and to the shop's net revenue of
-- valid purchases. Returns the shops and dimensions where that fails.
with

members as (
    select
        shop_id,
        count(*) as shop_members
    from {{ ref('dim_members') }}
    where first_seen_date <= {{ member_analytics.as_of_date() }}
    group by shop_id
),

revenue as (
    select
        shop_id,
        sum(net_amount) as shop_net_revenue
    from {{ ref('fct_orders') }}
    where is_valid_purchase
    group by shop_id
),

dimensions as (
    select
        shop_id,
        dimension,
        sum(members) as dimension_members,
        sum(net_revenue) as dimension_net_revenue
    from {{ ref('rpt_member_demographics') }}
    group by shop_id, dimension
)

select
    members.shop_id,
    dimensions.dimension,
    members.shop_members,
    dimensions.dimension_members,
    revenue.shop_net_revenue,
    dimensions.dimension_net_revenue
from members
left join dimensions on members.shop_id = dimensions.shop_id
left join revenue on members.shop_id = revenue.shop_id
where
    dimensions.dimension is null
    or dimensions.dimension_members != members.shop_members
    or dimensions.dimension_net_revenue != coalesce(revenue.shop_net_revenue, 0)
