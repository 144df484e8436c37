-- Every member of dim_members has exactly one activity level and one loyalty
-- level, and the matrix cells (and the finer view) of a shop sum to the
-- shop's members. Returns the shops (or members) where that fails.
with

members as (
    select
        shop_id,
        count(*) as shop_members
    from {{ ref('dim_members') }}
    group by shop_id
),

activity as (
    select
        shop_id,
        count(*) as activity_rows
    from {{ ref('fct_member_activity') }}
    group by shop_id
),

loyalty as (
    select
        shop_id,
        count(*) as loyalty_rows
    from {{ ref('fct_member_loyalty') }}
    group by shop_id
),

matrix as (
    select
        shop_id,
        sum(members) as matrix_members,
        count(*) as cells
    from {{ ref('rpt_activity_loyalty_matrix') }}
    group by shop_id
),

levels as (
    select
        shop_id,
        sum(members) as level_members
    from {{ ref('rpt_activity_loyalty_levels') }}
    group by shop_id
)

select
    members.shop_id,
    members.shop_members,
    activity.activity_rows,
    loyalty.loyalty_rows,
    matrix.matrix_members,
    matrix.cells,
    levels.level_members
from members
left join activity on members.shop_id = activity.shop_id
left join loyalty on members.shop_id = loyalty.shop_id
left join matrix on members.shop_id = matrix.shop_id
left join levels on members.shop_id = levels.shop_id
where
    activity.activity_rows is null
    or activity.activity_rows != members.shop_members
    or loyalty.loyalty_rows != members.shop_members
    or matrix.matrix_members != members.shop_members
    or matrix.cells != 4
    or levels.level_members != members.shop_members
