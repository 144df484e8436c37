-- One row per unordered pair of shops (shop_id_a < shop_id_b) when linking across shops is on;
-- empty when it is off. The persons (dim_member_identities) with a member in both shops, their
-- share of each shop's persons and their net revenue in each shop and together; a pair sharing
-- fewer than member_analytics__agency__overlap_min_members persons has these nulled and
-- is_suppressed set, so a small overlap identifies no one (docs/decisions/0126). Head office
-- only: no single shop_id, never in a bundle of selected shops (meta head_office_only).
{%- set min_members = member_analytics.agency_overlap_min_members() %}

with

identities as (
    select * from {{ ref('dim_member_identities') }}
),

orders as (
    select * from {{ ref('int_orders_valued') }}
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

-- one row per shop and person: a person may hold several members of one shop
shop_persons as (
    select
        identities.shop_id,
        identities.person_key,
        max(case when identities.is_linked_across_shops then 1 else 0 end) = 1 as is_linked_across_shops,
        sum(coalesce(member_revenue.net_revenue, 0)) as net_revenue
    from identities
    left join member_revenue
        on
            identities.shop_id = member_revenue.shop_id
            and identities.member_id = member_revenue.member_id
    group by identities.shop_id, identities.person_key
),

shops as (
    select
        shop_id,
        count(*) as number_of_persons
    from shop_persons
    group by shop_id
),

shop_pairs as (
    select
        shops_a.shop_id as shop_id_a,
        shops_b.shop_id as shop_id_b,
        shops_a.number_of_persons as number_of_persons_a,
        shops_b.number_of_persons as number_of_persons_b
    from shops as shops_a
    inner join shops as shops_b
        on shops_a.shop_id < shops_b.shop_id
),

linked_shop_persons as (
    select * from shop_persons
    where is_linked_across_shops
),

shared as (
    select
        persons_a.shop_id as shop_id_a,
        persons_b.shop_id as shop_id_b,
        count(*) as number_of_shared_persons,
        sum(persons_a.net_revenue) as net_revenue_a,
        sum(persons_b.net_revenue) as net_revenue_b
    from linked_shop_persons as persons_a
    inner join linked_shop_persons as persons_b
        on
            persons_a.person_key = persons_b.person_key
            and persons_a.shop_id < persons_b.shop_id
    group by persons_a.shop_id, persons_b.shop_id
),

counted as (
    select
        shop_pairs.shop_id_a,
        shop_pairs.shop_id_b,
        shop_pairs.number_of_persons_a,
        shop_pairs.number_of_persons_b,
        coalesce(shared.number_of_shared_persons, 0) as number_of_shared_persons,
        coalesce(shared.net_revenue_a, 0) as net_revenue_a,
        coalesce(shared.net_revenue_b, 0) as net_revenue_b,
        coalesce(shared.number_of_shared_persons, 0) < {{ min_members }} as is_suppressed
    from shop_pairs
    left join shared
        on
            shop_pairs.shop_id_a = shared.shop_id_a
            and shop_pairs.shop_id_b = shared.shop_id_b
),

final as (
    select
        shop_id_a,
        shop_id_b,
        case
            when not is_suppressed then cast(number_of_shared_persons as bigint)
        end as number_of_shared_persons,
        case
            when not is_suppressed then cast(number_of_shared_persons as double) / number_of_persons_a
        end as share_of_persons_a,
        case
            when not is_suppressed then cast(number_of_shared_persons as double) / number_of_persons_b
        end as share_of_persons_b,
        case
            when not is_suppressed then cast(net_revenue_a as decimal(18, 2))
        end as shared_net_revenue_a,
        case
            when not is_suppressed then cast(net_revenue_b as decimal(18, 2))
        end as shared_net_revenue_b,
        case
            when not is_suppressed then cast(net_revenue_a + net_revenue_b as decimal(18, 2))
        end as shared_net_revenue,
        is_suppressed,
        {{ member_analytics.as_of_date() }} as as_of_date
    from counted
)

select * from final
