-- One row per shop and member with at least one kept favourite, add-to-cart
-- or favourite-the-shop event on or before as_of_date: the interest that
-- makes a member who never bought `potential` (the lifecycle snapshots, whose
-- as_of_date rows fct_member_lifecycle publishes).
--
-- A table, not a view: the lifecycle snapshots and the audience facts read it,
-- and as a view each scanned every behaviour event again.
{{ config(materialized='table') }}
with

behavior_events as (
    select * from {{ ref('stg_shop__behavior_events') }}
    where
        row_status = 'kept'
        and event_type in ('favorite', 'cart', 'favorite_shop')
),

final as (
    select
        shop_id,
        member_id,
        count(*) as number_of_interest_events,
        min(cast(occurred_at as date)) as first_interest_date,
        max(cast(occurred_at as date)) as last_interest_date,
        max(
            case when cast(occurred_at as date) < {{ member_analytics.as_of_date() }} then cast(occurred_at as date) end
        ) as last_interest_date_before_as_of_date
    from behavior_events
    where cast(occurred_at as date) <= {{ member_analytics.as_of_date() }}
    group by shop_id, member_id
)

select * from final
