-- One row per member (shop_id, member_id) whose orders changed since the previous
-- build (docs/decisions/0091, 0130): every member holding a version of a changed
-- order (int_incremental_changed_orders) in the raw data, and every member the
-- previous build's fct_orders gave it (an order moved to another member changes
-- both, even when the raw data holds only its latest version). The models that read
-- the orders alone (int_orders_valued, fct_orders) recompute these members, so
-- they wait for the staging of the orders only; int_incremental_changed_members
-- adds the members whose other data changed. Empty without state.
-- depends_on: {{ ref('stg_shop__orders') }}
with

changed_orders as (
    select
        shop_id,
        order_id
    from {{ ref('int_incremental_changed_orders') }}
),

final as (
    {{ member_analytics.changed_order_holders('changed_orders') }}
)

select * from final
