-- One row per shop, first-purchase month (cohort) and month since the first
-- purchase, up to the month of as_of_date (long format): the cohort size,
-- the cohort's members with a valid purchase in that month, the retention
-- rate and the cumulative net revenue per cohort member. Purchases and net
-- amounts as of as_of_date (refunds dated up to it applied). The month of
-- as_of_date is partial unless as_of_date is its last day.
with

orders as (
    select * from {{ ref('fct_orders') }}
    where is_valid_purchase
),

months as (
    select * from {{ ref('int_months_spined') }}
),

member_cohorts as (
    select
        shop_id,
        member_id,
        cast({{ dbt.date_trunc('month', 'min(ordered_date)') }} as date) as cohort_month
    from orders
    group by shop_id, member_id
),

cohorts as (
    select
        member_cohorts.shop_id,
        member_cohorts.cohort_month,
        months.month_number as cohort_month_number,
        count(*) as cohort_size
    from member_cohorts
    inner join months
        on member_cohorts.cohort_month = months.month_start_date
    group by member_cohorts.shop_id, member_cohorts.cohort_month, months.month_number
),

member_months as (
    select
        shop_id,
        member_id,
        cast({{ dbt.date_trunc('month', 'ordered_date') }} as date) as activity_month,
        sum(net_amount) as net_revenue
    from orders
    group by
        shop_id,
        member_id,
        cast({{ dbt.date_trunc('month', 'ordered_date') }} as date)
),

activity as (
    select
        member_cohorts.shop_id,
        member_cohorts.cohort_month,
        member_months.activity_month,
        count(*) as purchasing_members,
        sum(member_months.net_revenue) as net_revenue
    from member_months
    inner join member_cohorts
        on
            member_months.shop_id = member_cohorts.shop_id
            and member_months.member_id = member_cohorts.member_id
    group by member_cohorts.shop_id, member_cohorts.cohort_month, member_months.activity_month
),

grid as (
    select
        cohorts.shop_id,
        cohorts.cohort_month,
        cohorts.cohort_size,
        months.month_number - cohorts.cohort_month_number as months_since_first_purchase,
        months.is_partial_month,
        months.month_start_date as activity_month
    from cohorts
    inner join months
        on cohorts.cohort_month_number <= months.month_number
),

filled as (
    select
        grid.shop_id,
        grid.cohort_month,
        grid.cohort_size,
        grid.months_since_first_purchase,
        grid.is_partial_month,
        grid.activity_month,
        coalesce(activity.purchasing_members, 0) as purchasing_members,
        sum(coalesce(activity.net_revenue, cast(0 as decimal(18, 2)))) over (
            partition by grid.shop_id, grid.cohort_month
            order by grid.activity_month
            rows between unbounded preceding and current row
        ) as cumulative_net_revenue
    from grid
    left join activity
        on
            grid.shop_id = activity.shop_id
            and grid.cohort_month = activity.cohort_month
            and grid.activity_month = activity.activity_month
),

final as (
    select
        shop_id,
        cast(months_since_first_purchase as int) as months_since_first_purchase,
        cast(cohort_size as bigint) as cohort_size,
        cast(purchasing_members as bigint) as purchasing_members,
        cast(purchasing_members as double) / cohort_size as retention_rate,
        cast(cumulative_net_revenue as decimal(38, 2)) as cumulative_net_revenue,
        {{ member_analytics.money_per('cumulative_net_revenue', 'cohort_size') }} as cumulative_net_revenue_per_member,
        is_partial_month,
        cohort_month as first_purchase_month,
        activity_month
    from filled
)

select * from final
