-- One row per member (shop_id, member_id) to recompute in the member-keyed
-- incremental models (docs/decisions/0091, 0119, 0130, 0142): the holders of every
-- order whose row or lines changed (int_incremental_changed_item_orders: the
-- members of int_incremental_changed_order_members and the holders of orders whose
-- items changed); every member whose rows staging replaced or staged again since
-- the marts were last built (the change ledger landing.staged_changes: members,
-- events, points, service events); and every member with an event dated on or
-- after the earlier of the previous and the current dates (as for orders).
-- Empty without state.
-- depends_on: {{ ref('stg_shop__members') }}, {{ ref('stg_shop__order_items') }}, {{ ref('stg_shop__orders') }}
-- depends_on: {{ ref('stg_shop__behavior_events') }}, {{ ref('stg_shop__service_events') }}
-- depends_on: {{ ref('stg_shop__points_events') }}, {{ ref('stg_shop__products') }}, {{ ref('int_as_of_date') }}
{%- set state = member_analytics.incremental_state() %}
{%- set ledger = member_analytics.staged_changes_since(state) %}

with

-- the orders whose row or lines changed
item_orders as (
    select
        shop_id,
        order_id
    from {{ ref('int_incremental_changed_item_orders') }}
),

-- their holders: the members whose orders changed and those whose order lines did
order_members as (
    {{ member_analytics.changed_order_holders('item_orders') }}
),

{% if state is not none %}
-- events dated on or after the earlier date: the ones a moving as_of_date or a
-- partial last day brings in or out of the marts
dated_event_members as (
    {%- for table_name in ['behavior_events', 'service_events', 'points_events'] %}
    select
        shop_id,
        member_id
    from {{ ref('stg_shop__' ~ table_name) }}
    where
        member_id is not null
        and cast(occurred_at as date) >= {{ member_analytics.incremental_changed_after(state) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),
{% endif %}

final as (
    select
        shop_id,
        member_id
    from order_members
    {%- if state is not none %}
    union
    select
        shop_id,
        member_id
    from dated_event_members
    {%- endif %}
    {%- if ledger is not none %}
    union
    select
        shop_id,
        member_id
    from {{ ledger }}
    where member_id is not null and shop_id is not null
    {%- endif %}
)

select * from final
