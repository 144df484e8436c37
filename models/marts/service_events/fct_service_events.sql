-- One row per shop and kept service event that occurred on or before
-- as_of_date: its key (event_id, or a hash of the raw row when the export has
-- none), the order and product it is linked to, the reporting group
-- (return and exchange together), and whether a complaint was resolved by
-- as_of_date (docs/decisions/0050).
with

service_events as (
    select * from {{ ref('stg_shop__service_events') }}
    where row_status = 'kept'
),

orders as (
    select * from {{ ref('fct_orders') }}
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

dated as (
    select
        service_events.*,
        cast(service_events.occurred_at as date) as occurred_date,
        as_of.as_of_date
    from service_events
    cross join as_of
    where cast(service_events.occurred_at as date) <= as_of.as_of_date
),

final as (
    select
        dated.shop_id,
        coalesce(dated.event_id, concat('row_', {{ dbt.hash('dated.source_record') }})) as service_event_id,
        dated.event_id,
        dated.member_id,
        dated.order_id,
        dated.product_id,
        dated.event_type,
        case
            when dated.event_type in ('return', 'exchange') then 'return_exchange'
            else dated.event_type
        end as event_group,
        cast(dated.rating as int) as rating,
        dated.event_type in ('cancel', 'reject', 'return', 'exchange', 'complaint', 'review') as is_order_event,
        orders.order_id is not null as is_known_order,
        (
            dated.resolved_at is not null
            and cast(dated.resolved_at as date) <= dated.as_of_date
        ) as is_resolved,
        dated.occurred_date,
        orders.ordered_date,
        dated.occurred_at,
        case when cast(dated.resolved_at as date) <= dated.as_of_date then dated.resolved_at end as resolved_at
    from dated
    left join orders
        on
            dated.shop_id = orders.shop_id
            and dated.order_id = orders.order_id
)

select * from final
