-- One row per shop, member and category the member bought in valid purchases
-- up to as_of_date: net spend and orders in the category, their shares of the
-- member's spend and orders, and the category's rank by spend (ties: category
-- key ascending). Products without a category are grouped as `unknown`, which
-- counts in the shares but is never ranked (docs/decisions/0051).
--
-- Member-keyed, incremental on DuckDB (docs/decisions/0134): a member's rows read
-- only their own valid purchase lines and the catalogue, so a daily run deletes
-- and recomputes the changed members (int_incremental_changed_members: those
-- whose orders or lines changed, and the holders of orders the moving as_of_date
-- brings in or out) and every member when the catalogue changed; the post-hook
-- gives the other members' rows the build's as_of_date.
-- depends_on: {{ ref('int_incremental_changed_members') }}
{{ config(**member_analytics.member_keyed_config(
    'delete_changed_members(["order_items"], unkeyed=["products"])', 'refresh_as_of_date()')) }}
{%- set state = member_analytics.member_keyed_state(['order_items'], ['products']) if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(state) %}
with

order_items as (
    select order_items.* from {{ ref('fct_order_items') }} as order_items
    where order_items.is_valid_purchase and {{ member_analytics.is_changed_member(state, 'order_items') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

lines as (
    select
        order_items.shop_id,
        order_items.member_id,
        order_items.order_id,
        coalesce(products.category, 'unknown') as category,
        order_items.net_amount,
        products.category is not null as has_category
    from order_items
    left join products
        on
            order_items.shop_id = products.shop_id
            and order_items.product_id = products.product_id
),

member_totals as (
    select
        shop_id,
        member_id,
        sum(net_amount) as member_net_amount,
        count(distinct order_id) as member_orders
    from lines
    group by shop_id, member_id
),

categories as (
    select
        shop_id,
        member_id,
        category,
        has_category,
        sum(net_amount) as net_amount,
        count(distinct order_id) as number_of_orders
    from lines
    group by shop_id, member_id, category, has_category
),

ranked as (
    select
        *,
        row_number() over (
            partition by shop_id, member_id, has_category
            order by net_amount desc, category asc
        ) as rank_within_known
    from categories
),

final as (
    select
        ranked.shop_id,
        ranked.member_id,
        ranked.category,
        cast(ranked.net_amount as decimal(18, 2)) as net_amount,
        cast(ranked.number_of_orders as int) as number_of_orders,
        case
            when member_totals.member_net_amount > 0
                then cast(ranked.net_amount as double) / cast(member_totals.member_net_amount as double)
        end as share_of_spend,
        cast(ranked.number_of_orders as double) / cast(member_totals.member_orders as double) as share_of_orders,
        cast(case when ranked.has_category then ranked.rank_within_known end as int) as spend_rank,
        {{ member_analytics.as_of_date() }} as as_of_date
    from ranked
    inner join member_totals
        on
            ranked.shop_id = member_totals.shop_id
            and ranked.member_id = member_totals.member_id
)

select * from final
