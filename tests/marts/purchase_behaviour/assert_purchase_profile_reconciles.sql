-- The purchase-behaviour marts agree with each other and with fct_orders:
-- per shop, the order-time cells, the purchase profiles and the valid orders
-- count the same orders; and every member's top category is the rank-1 row
-- of fct_member_category_preferences. Returns the shops or members where
-- that fails.
with

orders as (
    select
        shop_id,
        count(*) as valid_orders
    from {{ ref('fct_orders') }}
    where is_valid_purchase
    group by shop_id
),

time_profile as (
    select
        shop_id,
        sum(number_of_orders) as cell_orders
    from {{ ref('rpt_order_time_profile') }}
    group by shop_id
),

profiles as (
    select
        shop_id,
        sum(number_of_orders) as profile_orders
    from {{ ref('fct_member_purchase_profile') }}
    group by shop_id
),

top_categories as (
    select
        shop_id,
        member_id,
        category
    from {{ ref('fct_member_category_preferences') }}
    where spend_rank = 1
),

shop_mismatches as (
    select
        orders.shop_id,
        cast(null as {{ dbt.type_string() }}) as member_id
    from orders
    left join time_profile on orders.shop_id = time_profile.shop_id
    left join profiles on orders.shop_id = profiles.shop_id
    where
        time_profile.cell_orders is null
        or time_profile.cell_orders != orders.valid_orders
        or profiles.profile_orders != orders.valid_orders
),

member_mismatches as (
    select
        profile.shop_id,
        profile.member_id
    from {{ ref('fct_member_purchase_profile') }} as profile
    left join top_categories
        on
            profile.shop_id = top_categories.shop_id
            and profile.member_id = top_categories.member_id
    where coalesce(profile.top_category, '(none)') != coalesce(top_categories.category, '(none)')
)

select * from shop_mismatches
union all
select * from member_mismatches
