-- One row per shop and product: every kept product of the catalogue, plus
-- products that appear only in kept order items or events (is_in_catalog false).
with

products as (
    select * from {{ ref('stg_shop__products') }}
    where row_status = 'kept'
),

order_items as (
    select * from {{ ref('int_order_items_validated') }}
    where row_status = 'kept'
),

behavior_events as (
    select * from {{ ref('stg_shop__behavior_events') }}
    where row_status = 'kept' and product_id is not null
),

service_events as (
    select * from {{ ref('stg_shop__service_events') }}
    where row_status = 'kept' and product_id is not null
),

referenced as (
    select
        shop_id,
        product_id
    from order_items
    union
    select
        shop_id,
        product_id
    from behavior_events
    union
    select
        shop_id,
        product_id
    from service_events
),

uncatalogued as (
    select
        referenced.shop_id,
        referenced.product_id
    from referenced
    left join products
        on
            referenced.shop_id = products.shop_id
            and referenced.product_id = products.product_id
    where products.product_id is null
),

final as (
    select
        shop_id,
        product_id,
        product_name,
        category,
        brand,
        cast(list_price as decimal(18, 2)) as list_price,
        true as is_in_catalog,
        cast(launched_at as date) as launched_date,
        launched_at
    from products
    union all
    select
        shop_id,
        product_id,
        cast(null as {{ dbt.type_string() }}) as product_name,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(null as {{ dbt.type_string() }}) as brand,
        cast(null as decimal(18, 2)) as list_price,
        false as is_in_catalog,
        cast(null as date) as launched_date,
        cast(null as timestamp) as launched_at
    from uncatalogued
)

select * from final
