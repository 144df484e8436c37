-- One row per raw order_items row: the staging verdict, completed with the
-- check that needs orders — an item of an order that is in no orders row is
-- rejected as unknown_order, an item whose order was only ever rejected as
-- rejected_order.
with

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

order_keys as (
    select
        shop_id,
        order_id,
        max(case when row_status = 'kept' then 1 else 0 end) = 1 as has_kept_version
    from orders
    where shop_id is not null and order_id is not null
    group by shop_id, order_id
),

checked as (
    select
        order_items.*,
        case
            when order_items.row_status <> 'kept' then null
            when order_keys.order_id is null then 'unknown_order'
            when not order_keys.has_kept_version then 'rejected_order'
        end as order_rejection_reason
    from order_items
    left join order_keys
        on
            order_items.shop_id = order_keys.shop_id
            and order_items.order_id = order_keys.order_id
),

final as (
    select
        shop_id,
        order_id,
        product_id,
        source_record,
        quantity,
        unit_price,
        line_amount,
        case when order_rejection_reason is not null then 'rejected' else row_status end as row_status,
        coalesce(order_rejection_reason, rejection_reason) as rejection_reason
    from checked
)

select * from final
