-- One row per order (shop_id, order_id) that changed since the previous build
-- (docs/decisions/0091), and how it was seen: a row of it (any version) is dated
-- on or after the earlier of the previous and the current dates (placed, updated,
-- refunded, or crossing the as_of_date or validity window), or its kept raw row
-- differs from the row the previous build left in fct_orders (a re-export without
-- a later updated_at; a removed order is in fct_orders only; with folders of loads
-- only the orders the change ledger names are compared: no other kept row changed).
-- Empty without state
-- (first build, full refresh, other rules or code): then every member is rebuilt.
-- depends_on: {{ ref('int_as_of_date') }}
{{ config(post_hook="{{ member_analytics.warn_undated_changes() }}") }}
{%- set state = member_analytics.incremental_state() %}
{%- set built = member_analytics.built_relation('fct_orders') %}
{%- set state = none if built is none else state %}
{#- with folders of loads the change ledger names every order staging touched: the value
    comparison then reads those orders only (docs/decisions/0119) -#}
{%- set ledger = member_analytics.staged_changes_since(state) if member_analytics.member_keyed_state(['orders']) is not none else none %}

with

orders as (
    select * from {{ ref('stg_shop__orders') }}
    where shop_id is not null and order_id is not null
),

{% if state is not none %}
dated as (
    {{ member_analytics.changed_orders(member_analytics.incremental_changed_after(state)) }}
),

{%- if ledger is not none %}
touched_orders as (
    select distinct
        shop_id,
        order_id
    from {{ ledger }}
    where table_name = 'orders' and order_id is not null
),
{%- endif %}

kept_content as (
    select {{ member_analytics.order_content_columns('staging') }}
    from orders
    where
        row_status = 'kept'
        {%- if ledger is not none %}
        and exists (
            select 1 from touched_orders
            where touched_orders.shop_id = orders.shop_id and touched_orders.order_id = orders.order_id
        )
        {%- endif %}
),

built_content as (
    select {{ member_analytics.order_content_columns('fct_orders') }}
    from {{ built }} as built
    {%- if ledger is not none %}
    where exists (
        select 1 from touched_orders
        where touched_orders.shop_id = built.shop_id and touched_orders.order_id = built.order_id
    )
    {%- endif %}
),

altered as (
    select distinct
        shop_id,
        order_id
    from ({{ member_analytics.order_content_differences('kept_content', 'built_content') }}) as differences
),

changed as (
    select
        coalesce(dated.shop_id, altered.shop_id) as shop_id,
        coalesce(dated.order_id, altered.order_id) as order_id,
        dated.order_id is not null as is_dated_change,
        altered.order_id is not null as is_content_change
    from dated
    full outer join altered
        on dated.shop_id = altered.shop_id and dated.order_id = altered.order_id
),
{% else %}
    changed as (
        select
            shop_id,
            order_id,
            true as is_dated_change,
            true as is_content_change
        from orders
        where false
    ),
{% endif %}

order_dates as (
    select
        shop_id,
        order_id,
        min(cast(ordered_at as date)) as first_ordered_date
    from orders
    group by shop_id, order_id
),

final as (
    select
        changed.shop_id,
        changed.order_id,
        changed.is_dated_change,
        changed.is_content_change,
        order_dates.first_ordered_date
    from changed
    left join order_dates
        on changed.shop_id = order_dates.shop_id and changed.order_id = order_dates.order_id
)

select * from final
