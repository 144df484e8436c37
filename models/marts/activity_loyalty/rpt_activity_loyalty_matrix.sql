-- One row per shop and cell of the 2 × 2 activity (high/low, seed
-- activity_levels) × loyalty (high/low) matrix over every member of
-- dim_members as of as_of_date, empty cells included: members, their share,
-- net revenue in the loyalty window and its share, and the cell's diagnosis
-- and suggested action (seed activity_loyalty_diagnoses; docs/decisions/0040).
with

activity as (
    select * from {{ ref('fct_member_activity') }}
),

loyalty as (
    select * from {{ ref('fct_member_loyalty') }}
),

diagnoses as (
    select * from {{ ref('activity_loyalty_diagnoses') }}
),

members as (
    select
        activity.shop_id,
        activity.member_id,
        activity.activity_group,
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
        count(*) as shop_members,
        sum(net_revenue_in_window) as shop_net_revenue
    from members
    group by shop_id
),

cells as (
    select
        shop_id,
        activity_group,
        loyalty_level,
        count(*) as members,
        sum(net_revenue_in_window) as net_revenue_in_window
    from members
    group by shop_id, activity_group, loyalty_level
),

final as (
    select
        shops.shop_id,
        diagnoses.activity_group,
        diagnoses.loyalty_level,
        diagnoses.cell_name,
        cast(coalesce(cells.members, 0) as bigint) as members,
        cast(coalesce(cells.members, 0) / cast(shops.shop_members as double) as double) as share_of_members,
        cast(coalesce(cells.net_revenue_in_window, 0) as decimal(38, 2)) as net_revenue_in_window,
        cast(case
            when shops.shop_net_revenue > 0
                then cast(coalesce(cells.net_revenue_in_window, 0) as double) / cast(shops.shop_net_revenue as double)
        end as double) as share_of_net_revenue,
        diagnoses.diagnosis,
        diagnoses.suggested_action
    from shops
    cross join diagnoses
    left join cells
        on
            shops.shop_id = cells.shop_id
            and diagnoses.activity_group = cells.activity_group
            and diagnoses.loyalty_level = cells.loyalty_level
)

select * from final
