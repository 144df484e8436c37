-- One row per shop and member: registered members, buyers (any kept order)
-- and members seen only in events. Personal data is reduced: phone and
-- nickname as keyed sha256 (hashed in staging), date of birth as age band (at as_of_date) and
-- birthday month/day. dim_members publishes these rows; intermediate models
-- that need the member list or a member's start read them here.
-- A table, not a view: dim_members and the member-state models read it.
{{ config(materialized='table') }}

with

members as (
    select * from {{ ref('stg_shop__members') }}
    where row_status = 'kept'
),

orders as (
    select * from {{ ref('int_orders_valued') }}
),

behavior_events as (
    select * from {{ ref('stg_shop__behavior_events') }}
    where row_status = 'kept'
),

service_events as (
    select * from {{ ref('stg_shop__service_events') }}
    where row_status = 'kept'
),

points_events as (
    select * from {{ ref('stg_shop__points_events') }}
    where row_status = 'kept'
),

raw_files as (
    select * from {{ source('shop', 'raw_files') }}
),

age_bands as (
    select * from {{ ref('age_bands') }}
),

has_members_table as (
    select max(case when table_name = 'members' and is_present then 1 else 0 end) = 1 as has_members_table
    from raw_files
),

first_orders as (
    select
        shop_id,
        member_id,
        min(ordered_at) as first_ordered_at
    from orders
    group by shop_id, member_id
),

first_events as (
    select
        shop_id,
        member_id,
        min(occurred_at) as first_event_at
    from (
        select
            shop_id,
            member_id,
            occurred_at
        from behavior_events
        union all
        select
            shop_id,
            member_id,
            occurred_at
        from service_events
        union all
        select
            shop_id,
            member_id,
            occurred_at
        from points_events
    ) as events
    group by shop_id, member_id
),

all_members as (
    select
        shop_id,
        member_id
    from members
    union
    select
        shop_id,
        member_id
    from first_orders
    union
    select
        shop_id,
        member_id
    from first_events
),

joined as (
    select
        all_members.shop_id,
        all_members.member_id,
        members.member_id is not null as is_in_members_table,
        first_orders.member_id is not null as is_buyer,
        members.gender,
        members.province,
        members.city,
        members.has_phone,
        members.phone_hash,
        members.nickname_hash,
        members.is_marketing_opt_out,
        members.birth_date,
        members.registered_at,
        first_orders.first_ordered_at,
        first_events.first_event_at,
        {{ member_analytics.as_of_date() }} as as_of_date
    from all_members
    left join members
        on
            all_members.shop_id = members.shop_id
            and all_members.member_id = members.member_id
    left join first_orders
        on
            all_members.shop_id = first_orders.shop_id
            and all_members.member_id = first_orders.member_id
    left join first_events
        on
            all_members.shop_id = first_events.shop_id
            and all_members.member_id = first_events.member_id
),

aged as (
    select
        *,
        extract(year from as_of_date) - extract(year from birth_date)
        - case
            when
                extract(month from as_of_date) * 100 + extract(day from as_of_date)
                < extract(month from birth_date) * 100 + extract(day from birth_date)
                then 1
            else 0
        end as age_years
    from joined
),

banded as (
    select
        aged.shop_id,
        aged.member_id,
        max(age_bands.minimum_age_years) as band_minimum_age_years
    from aged
    inner join age_bands
        on aged.age_years >= age_bands.minimum_age_years
    group by aged.shop_id, aged.member_id
),

final as (
    select
        aged.shop_id,
        aged.member_id,
        case
            when aged.is_in_members_table then 'registered'
            when aged.is_buyer then 'buyer_only'
            else 'event_only'
        end as member_source,
        coalesce(aged.gender, 'unknown') as gender,
        aged.province,
        aged.city,
        coalesce(age_bands.age_band, 'unknown') as age_band,
        aged.phone_hash,
        aged.nickname_hash,
        cast(extract(month from aged.birth_date) as int) as birth_month,
        cast(extract(day from aged.birth_date) as int) as birth_day,
        case
            when has_members_table.has_members_table then aged.is_in_members_table
        end as is_registered_member,
        aged.is_buyer,
        coalesce(aged.has_phone, false) as has_phone,
        coalesce(aged.is_marketing_opt_out, false) as is_marketing_opt_out,
        cast(aged.registered_at as date) as registered_date,
        cast(
            least(
                coalesce(aged.registered_at, aged.first_ordered_at, aged.first_event_at),
                coalesce(aged.first_ordered_at, aged.registered_at, aged.first_event_at),
                coalesce(aged.first_event_at, aged.registered_at, aged.first_ordered_at)
            ) as date
        ) as first_seen_date,
        aged.registered_at
    from aged
    cross join has_members_table
    left join banded
        on
            aged.shop_id = banded.shop_id
            and aged.member_id = banded.member_id
    left join age_bands
        on banded.band_minimum_age_years = age_bands.minimum_age_years
)

select * from final
