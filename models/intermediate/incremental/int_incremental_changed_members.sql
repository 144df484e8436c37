-- One row per member (shop_id, member_id) to recompute in the member-keyed
-- incremental models (docs/decisions/0091, 0119): every member holding a version
-- of a changed order in the raw data, and every member the previous build's
-- fct_orders gave it (an order moved to another member changes both, even when
-- the raw data holds only its latest version); every member whose rows staging
-- replaced or staged again since the marts were last built (the change ledger
-- landing.staged_changes: members, events, points, service events, and the
-- holders of orders whose items changed); and every member with an event dated
-- on or after the earlier of the previous and the current dates (as for orders).
-- Empty without state.
-- depends_on: {{ ref('stg_shop__members') }}, {{ ref('stg_shop__order_items') }}
-- depends_on: {{ ref('stg_shop__behavior_events') }}, {{ ref('stg_shop__service_events') }}
-- depends_on: {{ ref('stg_shop__points_events') }}, {{ ref('stg_shop__products') }}, {{ ref('int_as_of_date') }}
{%- set state = member_analytics.incremental_state() %}
{%- set built = member_analytics.built_relation('fct_orders') %}
{#- the previous fct_orders, or no rows on a first build -#}
{%- set built_orders = built if built is not none
    else '(select shop_id, order_id, member_id from ' ~ ref('stg_shop__orders') ~ ' where false)' %}
{%- set ledger = member_analytics.staged_changes_since(state) %}

with

changed_orders as (
    select
        shop_id,
        order_id
    from {{ ref('int_incremental_changed_orders') }}
    {%- if ledger is not none %}
    union
    select distinct
        shop_id,
        order_id
    from {{ ledger }}
    where table_name = 'order_items' and order_id is not null
    {%- endif %}
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

{% if state is not none %}
-- events dated on or after the earlier date: the ones a moving as_of_date or a
-- partial last day brings in or out of the marts
dated_event_members as (
    {%- for table_name in ['behavior_events', 'service_events', 'points_events'] %}
    select
        shop_id,
        member_id
    from {{ ref('stg_shop__' ~ table_name) }}
    where
        member_id is not null
        and cast(occurred_at as date) >= {{ member_analytics.incremental_changed_after(state) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),
{% endif %}

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
    {%- if state is not none %}
    union
    select
        shop_id,
        member_id
    from dated_event_members
    {%- endif %}
    {%- if ledger is not none %}
    union
    select
        shop_id,
        member_id
    from {{ ledger }}
    where member_id is not null and shop_id is not null
    {%- endif %}
)

select * from final
