-- One row per shop, member and visit day up to as_of_date: a day with at least
-- one kept behaviour event (any type) or kept order (any status)
-- (docs/decisions/0040), with the member's previous and next visit day and the
-- gap since the previous one. Incremental on DuckDB (docs/decisions/0119): a
-- daily run deletes the rows of the changed members and appends all their visit
-- days recomputed.
-- depends_on: {{ ref('int_incremental_changed_members') }}
{{ config(**member_analytics.member_keyed_config('delete_changed_members(["behavior_events"])')) }}
{%- set state = member_analytics.member_keyed_state(['behavior_events']) if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(state) %}
with

events as (
    select events.* from {{ ref('stg_shop__behavior_events') }} as events
    where events.row_status = 'kept' and {{ member_analytics.is_changed_member(state, 'events') }}
),

orders as (
    select valued.* from {{ ref('int_orders_valued') }} as valued
    where not valued.is_after_as_of_date and {{ member_analytics.is_changed_member(state, 'valued') }}
),

-- as_of_date as a literal, not a cross join with a one-row CTE: with that join in the
-- plan, DuckDB built the changed-member filter's hash table on the 41 M behaviour events
-- instead of the changed members (a daily run's query took 17-20 s at the large scale
-- instead of 7 s; docs/benchmark.md, daily section)
activity as (
    select
        events.shop_id,
        events.member_id,
        cast(events.occurred_at as date) as visit_date
    from events
    where cast(events.occurred_at as date) <= {{ member_analytics.as_of_date() }}

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
