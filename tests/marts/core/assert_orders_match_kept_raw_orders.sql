-- fct_orders holds exactly the kept orders of staging, no more, no fewer. On a
-- daily (incremental) run this catches raw data that changed without a later
-- updated_at (a re-export that adds or removes old orders, or another folder):
-- the build fails and nothing is published; run `member-analytics build
-- --full-refresh` (docs/decisions/0091).
with

kept as (
    select
        shop_id,
        order_id
    from {{ ref('stg_shop__orders') }}
    where row_status = 'kept'
),

built as (
    select
        shop_id,
        order_id
    from {{ ref('fct_orders') }}
),

missing as (
    select
        kept.shop_id,
        kept.order_id,
        'kept raw order missing from fct_orders' as problem
    from kept
    left join built
        on kept.shop_id = built.shop_id and kept.order_id = built.order_id
    where built.order_id is null
),

extra as (
    select
        built.shop_id,
        built.order_id,
        'order in fct_orders that is not a kept raw order' as problem
    from built
    left join kept
        on built.shop_id = kept.shop_id and built.order_id = kept.order_id
    where kept.order_id is null
)

select * from missing
union all
select * from extra
