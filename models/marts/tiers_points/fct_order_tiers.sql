-- One row per shop, order placed on or before as_of_date (every status) and
-- tier scheme: the tier the member held when the order was placed (at the end
-- of the day before; null when not yet in the programme) and at the end of the
-- order day, both looked up in fct_member_tier_history with the macro
-- tier_period_contains (docs/decisions/0030).
-- Incremental by member on DuckDB (docs/decisions/0121): a daily run recomputes
-- the orders of the members whose tier states it recomputed (the changed members
-- and those whose lapse the moving as_of_date crosses).
-- depends_on: {{ ref('int_incremental_changed_members') }}, {{ ref('int_as_of_date') }}
-- depends_on: {{ ref('int_member_tier_states') }}
{{ config(**member_analytics.member_keyed_config('delete_tier_keyed_members()')) }}
{%- set state = member_analytics.incremental_state() if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(state) %}
with

orders as (
    select orders.* from {{ ref('fct_orders') }} as orders
    where not orders.is_after_as_of_date and {{ member_analytics.is_tier_changed_member(state, 'orders') }}
),

history as (
    select * from {{ ref('fct_member_tier_history') }}
),

scheme_list as (
    select distinct
        scheme_name,
        basis
    from {{ ref('tier_schemes') }}
),

orders_by_scheme as (
    select
        orders.shop_id,
        orders.order_id,
        orders.member_id,
        orders.ordered_date,
        orders.ordered_at,
        orders.status,
        orders.is_valid_purchase,
        orders.net_amount,
        scheme_list.scheme_name,
        scheme_list.basis,
        cast({{ dbt.dateadd('day', -1, 'orders.ordered_date') }} as date) as day_before_order_date
    from orders
    cross join scheme_list
),

final as (
    select
        orders_by_scheme.shop_id,
        orders_by_scheme.order_id,
        orders_by_scheme.scheme_name,
        orders_by_scheme.member_id,
        orders_by_scheme.basis,
        held.tier_name,
        held.tier_rank,
        after_order_day.tier_name as tier_name_end_of_order_day,
        after_order_day.tier_rank as tier_rank_end_of_order_day,
        orders_by_scheme.status,
        orders_by_scheme.is_valid_purchase,
        orders_by_scheme.net_amount,
        orders_by_scheme.ordered_date,
        orders_by_scheme.ordered_at
    from orders_by_scheme
    left join history as held
        on
            orders_by_scheme.shop_id = held.shop_id
            and orders_by_scheme.member_id = held.member_id
            and orders_by_scheme.scheme_name = held.scheme_name
            and {{ member_analytics.tier_period_contains('held', 'orders_by_scheme.day_before_order_date') }}
    left join history as after_order_day
        on
            orders_by_scheme.shop_id = after_order_day.shop_id
            and orders_by_scheme.member_id = after_order_day.member_id
            and orders_by_scheme.scheme_name = after_order_day.scheme_name
            and {{ member_analytics.tier_period_contains('after_order_day', 'orders_by_scheme.ordered_date') }}
)

select * from final
