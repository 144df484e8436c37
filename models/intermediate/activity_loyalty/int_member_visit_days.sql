-- One row per shop, member and visit day up to as_of_date: a day with at least
-- one kept behaviour event (any type) or kept order (any status)
-- (docs/decisions/0040), with the member's previous and next visit day and the
-- gap since the previous one.
with

events as (
    select * from {{ ref('stg_shop__behavior_events') }}
    where row_status = 'kept'
),

orders as (
    select * from {{ ref('int_orders_valued') }}
    where not is_after_as_of_date
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

activity as (
    select
        events.shop_id,
        events.member_id,
        cast(events.occurred_at as date) as visit_date
    from events
    cross join as_of
    where cast(events.occurred_at as date) <= as_of.as_of_date

    union all

    select
        shop_id,
        member_id,
        ordered_date as visit_date
    from orders
),

visit_days as (
    select distinct
        shop_id,
        member_id,
        visit_date
    from activity
),

neighbours as (
    select
        shop_id,
        member_id,
        visit_date,
        lag(visit_date) over (partition by shop_id, member_id order by visit_date) as previous_visit_date,
        lead(visit_date) over (partition by shop_id, member_id order by visit_date) as next_visit_date
    from visit_days
),

final as (
    select
        *,
        cast({{ dbt.datediff('previous_visit_date', 'visit_date', 'day') }} as int) as days_since_previous_visit
    from neighbours
)

select * from final
