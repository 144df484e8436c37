-- One row per shop, member and day with at least one valid purchase
-- (fct_orders.is_valid_purchase: refunds dated up to as_of_date applied): the
-- purchase days the lifecycle rule counts (docs/decisions/0012), computed once
-- for fct_member_lifecycle and fct_member_lifecycle_history.
with

orders as (
    select * from {{ ref('fct_orders') }}
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
