-- One row per member (shop_id, member_id) to recompute in the member-keyed
-- incremental models (fct_orders on DuckDB; docs/decisions/0091): every member
-- holding a version of a changed order in the raw data, and every member the
-- previous build's fct_orders gave it (an order moved to another member changes
-- both, even when the raw data holds only its latest version). Empty without state.
{%- set built = member_analytics.built_relation('fct_orders') %}
{#- the previous fct_orders, or no rows on a first build -#}
{%- set built_orders = built if built is not none
    else '(select shop_id, order_id, member_id from ' ~ ref('stg_shop__orders') ~ ' where false)' %}

with

changed_orders as (
    select * from {{ ref('int_incremental_changed_orders') }}
),

raw_holders as (
    select
        versions.shop_id,
        versions.member_id
    from {{ ref('stg_shop__orders') }} as versions
    inner join changed_orders
        on versions.shop_id = changed_orders.shop_id and versions.order_id = changed_orders.order_id
    where versions.member_id is not null
),

built_holders as (
    select
        built.shop_id,
        built.member_id
    from {{ built_orders }} as built
    inner join changed_orders
        on built.shop_id = changed_orders.shop_id and built.order_id = changed_orders.order_id
    where built.member_id is not null
),

final as (
    select
        shop_id,
        member_id
    from raw_holders
    union
    select
        shop_id,
        member_id
    from built_holders
)

select * from final
