-- One row per shop, activity level (seed activity_levels) and loyalty level
-- (high, low), empty combinations included: the finer view of the activity ×
-- loyalty matrix, with members, their share of the shop and net revenue in
-- the loyalty window (docs/decisions/0040).
with

activity as (
    select * from {{ ref('fct_member_activity') }}
),

loyalty as (
    select * from {{ ref('fct_member_loyalty') }}
),

levels as (
    select * from {{ ref('activity_levels') }}
),

loyalty_levels as (
    select distinct loyalty_level from {{ ref('activity_loyalty_diagnoses') }}
),

members as (
    select
        activity.shop_id,
        activity.activity_level,
        loyalty.loyalty_level,
        loyalty.net_revenue_in_window
    from activity
    inner join loyalty
        on
            activity.shop_id = loyalty.shop_id
            and activity.member_id = loyalty.member_id
),

shops as (
    select
        shop_id,
        count(*) as shop_members
    from members
    group by shop_id
),

cells as (
    select
        shop_id,
        activity_level,
        loyalty_level,
        count(*) as members,
        sum(net_revenue_in_window) as net_revenue_in_window
    from members
    group by shop_id, activity_level, loyalty_level
),

final as (
    select
        shops.shop_id,
        levels.activity_level,
        cast(levels.level_rank as int) as activity_level_rank,
        levels.activity_group,
        loyalty_levels.loyalty_level,
        cast(coalesce(cells.members, 0) as bigint) as members,
        cast(coalesce(cells.members, 0) / cast(shops.shop_members as double) as double) as share_of_members,
        cast(coalesce(cells.net_revenue_in_window, 0) as decimal(38, 2)) as net_revenue_in_window
    from shops
    cross join levels
    cross join loyalty_levels
    left join cells
        on
            shops.shop_id = cells.shop_id
            and levels.activity_level = cells.activity_level
            and loyalty_levels.loyalty_level = cells.loyalty_level
)

select * from final
