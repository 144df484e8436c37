-- One row per shop, member and day with at least one valid purchase
-- (int_orders_valued.is_valid_purchase, as fct_orders publishes it: refunds
-- dated up to as_of_date applied): the purchase days the lifecycle rule counts
-- (docs/decisions/0012), computed once for the lifecycle's stage runs
-- (int_member_lifecycle_stage_runs) and snapshots (int_member_lifecycle_snapshots).
with

orders as (
    select * from {{ ref('int_orders_valued') }}
    where is_valid_purchase
),

final as (
    select distinct
        shop_id,
        member_id,
        ordered_date as purchase_date
    from orders
)

select * from final
