-- One row per shop, dimension (age_band, gender, province) and value: members
-- of dim_members first seen on or before as_of_date, registered members,
-- buyers (a valid purchase up to as_of_date) and their net revenue, with
-- shares of the shop; and on every row the shop's profile completeness: the
-- share of members whose birthday, gender and region (province) are filled
-- (docs/decisions/0051).
with

members as (
    select * from {{ ref('dim_members') }}
    where first_seen_date <= {{ member_analytics.as_of_date() }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_valid_purchase
),

member_revenue as (
    select
        shop_id,
        member_id,
        sum(net_amount) as net_revenue
    from orders
    group by shop_id, member_id
),

profiled as (
    select
        members.shop_id,
        members.member_id,
        members.age_band,
        members.gender,
        coalesce(members.province, 'unknown') as province,
        member_revenue.net_revenue,
        coalesce(
            members.member_source = 'registered' and members.registered_date <= {{ member_analytics.as_of_date() }},
            false
        ) as is_registered,
        member_revenue.member_id is not null as is_valid_buyer,
        members.birth_month is not null as has_birthday,
        members.gender != 'unknown' as has_gender,
        members.province is not null as has_region
    from members
    left join member_revenue
        on
            members.shop_id = member_revenue.shop_id
            and members.member_id = member_revenue.member_id
),

dimension_values as (
    select
        shop_id,
        'age_band' as dimension,
        age_band as dimension_value,
        is_registered,
        is_valid_buyer,
        net_revenue
    from profiled
    union all
    select
        shop_id,
        'gender' as dimension,
        gender as dimension_value,
        is_registered,
        is_valid_buyer,
        net_revenue
    from profiled
    union all
    select
        shop_id,
        'province' as dimension,
        province as dimension_value,
        is_registered,
        is_valid_buyer,
        net_revenue
    from profiled
),

cells as (
    select
        shop_id,
        dimension,
        dimension_value,
        count(*) as members,
        sum(case when is_registered then 1 else 0 end) as registered_members,
        sum(case when is_valid_buyer then 1 else 0 end) as buyers,
        sum(coalesce(net_revenue, 0)) as net_revenue
    from dimension_values
    group by shop_id, dimension, dimension_value
),

shops as (
    select
        shop_id,
        count(*) as shop_members,
        sum(coalesce(net_revenue, 0)) as shop_net_revenue,
        sum(case when is_registered then 1 else 0 end) as shop_registered_members,
        sum(case when has_birthday then 1 else 0 end) as members_with_birthday,
        sum(case when has_gender then 1 else 0 end) as members_with_gender,
        sum(case when has_region then 1 else 0 end) as members_with_region
    from profiled
    group by shop_id
),

final as (
    select
        cells.shop_id,
        cells.dimension,
        cells.dimension_value,
        cast(cells.members as int) as members,
        cast(cells.registered_members as int) as registered_members,
        cast(cells.buyers as int) as buyers,
        cast(cells.net_revenue as decimal(38, 2)) as net_revenue,
        cast(cells.members as double) / cast(shops.shop_members as double) as share_of_members,
        case
            when shops.shop_net_revenue > 0
                then cast(cells.net_revenue as double) / cast(shops.shop_net_revenue as double)
        end as share_of_net_revenue,
        case
            when cells.members > 0 then cast(cells.buyers as double) / cast(cells.members as double)
        end as buyer_rate,
        cast(shops.shop_registered_members as int) as shop_registered_members,
        cast(shops.members_with_birthday as double) / cast(shops.shop_members as double) as share_with_birthday,
        cast(shops.members_with_gender as double) / cast(shops.shop_members as double) as share_with_gender,
        cast(shops.members_with_region as double) / cast(shops.shop_members as double) as share_with_region,
        {{ member_analytics.as_of_date() }} as as_of_date
    from cells
    inner join shops
        on cells.shop_id = shops.shop_id
)

select * from final
