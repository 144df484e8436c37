-- One row: the date of the latest kept valid order (refunds known at build
-- time applied), the default as_of_date when the var is not set.
with

orders as (
    select * from {{ ref('stg_shop__orders') }}
    where row_status = 'kept'
),

final as (
    select max(cast(ordered_at as date)) as as_of_date
    from orders
    where {{ member_analytics.is_valid_purchase(
        'status', 'paid_amount',
        member_analytics.order_refunded_amount('refunded_amount', 'status', 'paid_amount')) }}
)

select * from final
