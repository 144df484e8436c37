-- One row per order (shop_id, order_id) whose kept lines a daily run of
-- fct_order_items deletes and recomputes (docs/decisions/0142): every changed
-- order (int_incremental_changed_orders: its row, validity or member moved, or it
-- was removed) and every order whose row or lines staging replaced or staged again
-- since the marts were last built (the change ledger landing.staged_changes; its
-- orders rows also cover a build that rebuilt fct_orders but not the lines). A
-- line reads only its own order's lines and fct_orders row, so no other order's
-- lines can change. Empty without state.
-- depends_on: {{ ref('stg_shop__order_items') }}
{%- set state = member_analytics.incremental_state() %}
{%- set ledger = member_analytics.staged_changes_since(state) %}

with

changed_orders as (
    select
        shop_id,
        order_id
    from {{ ref('int_incremental_changed_orders') }}
),

final as (
    select
        shop_id,
        order_id
    from changed_orders
    {%- if ledger is not none %}
    union
    -- the orders whose row or lines staging touched
    select
        shop_id,
        order_id
    from {{ ledger }}
    where table_name in ('orders', 'order_items') and shop_id is not null and order_id is not null
    {%- endif %}
)

select * from final
