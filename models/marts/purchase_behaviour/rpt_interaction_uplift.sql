-- One row per shop and calendar month (from the month of the first kept order
-- to the month of as_of_date, cut at as_of_date): the shop's members known by
-- the month's snapshot date (first seen on or before it) split into those who
-- interacted in the month (a kept check_in, game, survey or vote event) and
-- those who did not, and per group the conversion (members with a valid
-- purchase in the month ÷ members) and the average order value (net revenue ÷
-- valid orders in the month) (docs/decisions/0051).
with

members as (
    select * from {{ ref('dim_members') }}
),

months as (
    select * from {{ ref('int_months_spined') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_valid_purchase
),

behavior_events as (
    select * from {{ ref('stg_shop__behavior_events') }}
    where
        row_status = 'kept'
        and event_type in ('check_in', 'game', 'survey', 'vote')
        and cast(occurred_at as date) <= {{ member_analytics.as_of_date() }}
),

interactions as (
    select distinct
        shop_id,
        member_id,
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as month_start_date
    from behavior_events
),

purchases as (
    select
        shop_id,
        member_id,
        cast({{ dbt.date_trunc('month', 'ordered_date') }} as date) as month_start_date,
        count(*) as number_of_orders,
        sum(net_amount) as net_revenue
    from orders
    group by
        shop_id,
        member_id,
        cast({{ dbt.date_trunc('month', 'ordered_date') }} as date)
),

member_months as (
    select
        members.shop_id,
        members.member_id,
        months.month_start_date,
        months.snapshot_date,
        months.is_partial_month,
        interactions.member_id is not null as has_interacted,
        coalesce(purchases.number_of_orders, 0) as number_of_orders,
        coalesce(purchases.net_revenue, 0) as net_revenue
    from members
    inner join months
        on members.first_seen_date <= months.snapshot_date
    left join interactions
        on
            members.shop_id = interactions.shop_id
            and members.member_id = interactions.member_id
            and months.month_start_date = interactions.month_start_date
    left join purchases
        on
            members.shop_id = purchases.shop_id
            and members.member_id = purchases.member_id
            and months.month_start_date = purchases.month_start_date
),

groups as (
    select
        shop_id,
        month_start_date,
        snapshot_date,
        is_partial_month,
        sum(case when has_interacted then 1 else 0 end) as interacted_members,
        sum(case when has_interacted and number_of_orders > 0 then 1 else 0 end) as interacted_buyers,
        sum(case when has_interacted then number_of_orders else 0 end) as interacted_orders,
        sum(case when has_interacted then net_revenue else 0 end) as interacted_net_revenue,
        sum(case when not has_interacted then 1 else 0 end) as not_interacted_members,
        sum(case when not has_interacted and number_of_orders > 0 then 1 else 0 end) as not_interacted_buyers,
        sum(case when not has_interacted then number_of_orders else 0 end) as not_interacted_orders,
        sum(case when not has_interacted then net_revenue else 0 end) as not_interacted_net_revenue
    from member_months
    group by shop_id, month_start_date, snapshot_date, is_partial_month
),

rated as (
    select
        *,
        case
            when interacted_members > 0
                then cast(interacted_buyers as double) / cast(interacted_members as double)
        end as interacted_conversion_rate,
        case
            when not_interacted_members > 0
                then cast(not_interacted_buyers as double) / cast(not_interacted_members as double)
        end as not_interacted_conversion_rate
    from groups
),

final as (
    select
        shop_id,
        cast(interacted_members as int) as interacted_members,
        cast(interacted_buyers as int) as interacted_buyers,
        cast(interacted_orders as int) as interacted_orders,
        cast(interacted_net_revenue as decimal(38, 2)) as interacted_net_revenue,
        interacted_conversion_rate,
        case
            when interacted_orders > 0
                then {{ member_analytics.money_per('interacted_net_revenue', 'interacted_orders') }}
        end as interacted_average_order_value,
        cast(not_interacted_members as int) as not_interacted_members,
        cast(not_interacted_buyers as int) as not_interacted_buyers,
        cast(not_interacted_orders as int) as not_interacted_orders,
        cast(not_interacted_net_revenue as decimal(38, 2)) as not_interacted_net_revenue,
        not_interacted_conversion_rate,
        case
            when not_interacted_orders > 0
                then {{ member_analytics.money_per('not_interacted_net_revenue', 'not_interacted_orders') }}
        end as not_interacted_average_order_value,
        case
            when not_interacted_conversion_rate > 0
                then interacted_conversion_rate / not_interacted_conversion_rate
        end as conversion_uplift,
        is_partial_month,
        month_start_date,
        snapshot_date
    from rated
)

select * from final
