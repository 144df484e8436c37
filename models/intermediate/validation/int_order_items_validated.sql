-- One row per raw order_items row with its final verdict: staging applies the
-- row rules and the order check (unknown_order, rejected_order). A view: the
-- name downstream models read kept items from.
with

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
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
        row_status,
        rejection_reason
    from order_items
)

select * from final
