-- Question: "How much did each channel bring in each month, net of refunds?"
-- One row per shop, month and channel: valid purchases and net revenue.
with

orders as (
    select * from {{ ref('fct_orders') }}
    where is_valid_purchase
),

final as (
    select
        shop_id,
        cast({{ dbt.date_trunc('month', 'ordered_date') }} as date) as order_month,
        coalesce(channel, 'unknown') as channel,
        count(*) as purchases,
        sum(net_amount) as net_revenue
    from orders
    group by
        shop_id,
        cast({{ dbt.date_trunc('month', 'ordered_date') }} as date),
        coalesce(channel, 'unknown')
)

select * from final
order by shop_id, order_month, channel
