-- One row per shop and member with at least one valid purchase up to
-- as_of_date: when the member orders (preferred hour band and ISO weekday:
-- the most orders, ties to the earlier band or weekday), what they buy (top
-- category and brand by net spend, ties to the key ascending, with their share
-- of the member's net spend on order lines) and how much discount they take
-- (the mean over orders of discount ÷ (paid + discount))
-- (docs/decisions/0051).
--
-- Member-keyed, incremental on DuckDB (docs/decisions/0134): a member's row reads
-- only their own valid purchases and the catalogue, so a daily run deletes and
-- recomputes the changed members (int_incremental_changed_members) and every
-- member when the catalogue changed; the post-hook gives the other members' rows
-- the build's as_of_date.
-- depends_on: {{ ref('int_incremental_changed_members') }}
{{ config(**member_analytics.member_keyed_config(
    'delete_changed_members(["order_items"], unkeyed=["products"])', 'refresh_as_of_date()')) }}
{%- set state = member_analytics.member_keyed_state(['order_items'], ['products']) if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(state) %}
with

orders as (
    select orders.* from {{ ref('fct_orders') }} as orders
    where orders.is_valid_purchase and {{ member_analytics.is_changed_member(state, 'orders') }}
),

order_items as (
    select order_items.* from {{ ref('fct_order_items') }} as order_items
    where order_items.is_valid_purchase and {{ member_analytics.is_changed_member(state, 'order_items') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

hour_bands as (
    select * from {{ ref('order_hour_bands') }}
),

weekdays as (
    select * from {{ ref('weekdays') }}
),

timed_orders as (
    select
        orders.shop_id,
        orders.member_id,
        orders.order_id,
        hour_bands.hour_band,
        hour_bands.hour_band_order,
        orders.net_amount,
        orders.discount_amount,
        {{ member_analytics.iso_weekday('orders.ordered_at') }} as iso_weekday,
        case
            when orders.gross_amount + orders.discount_amount > 0
                then
                    cast(orders.discount_amount as double)
                    / cast(orders.gross_amount + orders.discount_amount as double)
        end as discount_share
    from orders
    inner join hour_bands
        on {{ member_analytics.hour_of_day('orders.ordered_at') }} = hour_bands.hour_of_day
),

order_totals as (
    select
        shop_id,
        member_id,
        count(*) as number_of_orders,
        sum(net_amount) as net_amount,
        sum(discount_amount) as discount_amount,
        -- rounded to 9 decimals: an average of doubles may differ in its last bit
        -- from run to run (parallel aggregation); the marts must not
        round(avg(discount_share), 9) as average_discount_share
    from timed_orders
    group by shop_id, member_id
),

hour_band_counts as (
    select
        shop_id,
        member_id,
        hour_band,
        hour_band_order,
        count(*) as number_of_orders
    from timed_orders
    group by shop_id, member_id, hour_band, hour_band_order
),

preferred_hour_bands as (
    select
        *,
        row_number() over (
            partition by shop_id, member_id
            order by number_of_orders desc, hour_band_order asc, hour_band asc
        ) as preference_rank
    from hour_band_counts
),

weekday_counts as (
    select
        shop_id,
        member_id,
        iso_weekday,
        count(*) as number_of_orders
    from timed_orders
    group by shop_id, member_id, iso_weekday
),

preferred_weekdays as (
    select
        *,
        row_number() over (
            partition by shop_id, member_id
            order by number_of_orders desc, iso_weekday asc
        ) as preference_rank
    from weekday_counts
),

lines as (
    select
        order_items.shop_id,
        order_items.member_id,
        products.category,
        products.brand,
        order_items.net_amount
    from order_items
    left join products
        on
            order_items.shop_id = products.shop_id
            and order_items.product_id = products.product_id
),

line_totals as (
    select
        shop_id,
        member_id,
        sum(net_amount) as line_net_amount
    from lines
    group by shop_id, member_id
),

category_spend as (
    select
        shop_id,
        member_id,
        category,
        sum(net_amount) as net_amount
    from lines
    where category is not null
    group by shop_id, member_id, category
),

top_categories as (
    select
        *,
        row_number() over (
            partition by shop_id, member_id
            order by net_amount desc, category asc
        ) as spend_rank
    from category_spend
),

brand_spend as (
    select
        shop_id,
        member_id,
        brand,
        sum(net_amount) as net_amount
    from lines
    where brand is not null
    group by shop_id, member_id, brand
),

top_brands as (
    select
        *,
        row_number() over (
            partition by shop_id, member_id
            order by net_amount desc, brand asc
        ) as spend_rank
    from brand_spend
),

final as (
    select
        order_totals.shop_id,
        order_totals.member_id,
        preferred_hour_bands.hour_band as preferred_hour_band,
        weekdays.weekday_name as preferred_weekday_name,
        top_categories.category as top_category,
        top_brands.brand as top_brand,
        cast(preferred_weekdays.iso_weekday as int) as preferred_iso_weekday,
        cast(order_totals.number_of_orders as int) as number_of_orders,
        cast(preferred_hour_bands.number_of_orders as int) as orders_in_preferred_hour_band,
        cast(preferred_weekdays.number_of_orders as int) as orders_on_preferred_weekday,
        cast(order_totals.net_amount as decimal(18, 2)) as net_amount,
        cast(order_totals.discount_amount as decimal(18, 2)) as discount_amount,
        cast(top_categories.net_amount as decimal(38, 2)) as top_category_net_amount,
        case
            when line_totals.line_net_amount > 0
                then cast(top_categories.net_amount as double) / cast(line_totals.line_net_amount as double)
        end as top_category_share_of_spend,
        cast(top_brands.net_amount as decimal(38, 2)) as top_brand_net_amount,
        case
            when line_totals.line_net_amount > 0
                then cast(top_brands.net_amount as double) / cast(line_totals.line_net_amount as double)
        end as top_brand_share_of_spend,
        order_totals.average_discount_share,
        {{ member_analytics.as_of_date() }} as as_of_date
    from order_totals
    inner join preferred_hour_bands
        on
            order_totals.shop_id = preferred_hour_bands.shop_id
            and order_totals.member_id = preferred_hour_bands.member_id
            and preferred_hour_bands.preference_rank = 1
    inner join preferred_weekdays
        on
            order_totals.shop_id = preferred_weekdays.shop_id
            and order_totals.member_id = preferred_weekdays.member_id
            and preferred_weekdays.preference_rank = 1
    inner join weekdays
        on preferred_weekdays.iso_weekday = weekdays.iso_weekday
    left join line_totals
        on
            order_totals.shop_id = line_totals.shop_id
            and order_totals.member_id = line_totals.member_id
    left join top_categories
        on
            order_totals.shop_id = top_categories.shop_id
            and order_totals.member_id = top_categories.member_id
            and top_categories.spend_rank = 1
    left join top_brands
        on
            order_totals.shop_id = top_brands.shop_id
            and order_totals.member_id = top_brands.member_id
            and top_brands.spend_rank = 1
)

select * from final
