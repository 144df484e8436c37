-- One row per shop, audience and month of assignment with both arms: the lift
-- the audience's messages brought, by assignment (intention to treat;
-- docs/decisions/0123). The unit is a member: their first assignment to the
-- audience in the month, counted once its attribution window has closed. Per
-- arm: members, conversions (a valid purchase in the window), conversion rate
-- and net revenue per member (the first purchase's net amount, 0 without
-- one); the absolute and relative lift of each with a 95% confidence interval
-- (conversion: Newcombe's hybrid score interval for the difference, Katz's
-- log risk ratio for the ratio; revenue: Welch's interval for the difference,
-- the delta method on the log ratio), and how many of each arm the send log
-- shows sent (compliance and contamination).
with

outcomes as (
    select * from {{ ref('fct_campaign_outcomes') }}
),

audiences as (
    select * from {{ ref('campaign_audiences') }}
),

first_assignments as (
    select * from (
        select
            *,
            row_number() over (
                partition by shop_id, audience, member_id, assignment_month
                order by assignment_date
            ) as assignment_rank
        from outcomes
    ) as ranked
    where assignment_rank = 1 and is_window_complete
),

arms as (
    select
        shop_id,
        audience,
        assignment_month,
        count(case when arm = 'treatment' then 1 end) as n_t,
        count(case when arm = 'holdout' then 1 end) as n_h,
        sum(case when arm = 'treatment' and converted then 1 else 0 end) as x_t,
        sum(case when arm = 'holdout' and converted then 1 else 0 end) as x_h,
        sum(case when arm = 'treatment' and was_sent then 1 else 0 end) as sent_t,
        sum(case when arm = 'holdout' and was_sent then 1 else 0 end) as sent_h,
        -- revenue sums and sums of squares in decimals: exact, so the same whatever order
        -- the engine adds in (a double's avg or var_samp may differ in the last bits)
        sum(case when arm = 'treatment' then outcome_net_amount else 0 end) as revenue_t,
        sum(case when arm = 'holdout' then outcome_net_amount else 0 end) as revenue_h,
        sum(case when arm = 'treatment' then outcome_net_amount * outcome_net_amount else 0 end) as squares_t,
        sum(case when arm = 'holdout' then outcome_net_amount * outcome_net_amount else 0 end) as squares_h
    from first_assignments
    group by shop_id, audience, assignment_month
),

both_arms as (
    select
        *,
        cast(revenue_t as double) / n_t as mean_t,
        cast(revenue_h as double) / n_h as mean_h,
        -- the sample variance, (n Σx² - (Σx)²) / (n (n - 1)), the numerator exact
        cast(n_t * squares_t - revenue_t * revenue_t as double) / nullif(n_t * (n_t - 1), 0) as var_t,
        cast(n_h * squares_h - revenue_h * revenue_h as double) / nullif(n_h * (n_h - 1), 0) as var_h
    from arms
    where n_t > 0 and n_h > 0
),

measured as (
    select
        *,
        cast(x_t as double) / n_t as rate_t,
        cast(x_h as double) / n_h as rate_h,
        {{ member_analytics.proportion_difference_lower('x_t', 'n_t', 'x_h', 'n_h') }} as conversion_lift_lower_95,
        {{ member_analytics.proportion_difference_upper('x_t', 'n_t', 'x_h', 'n_h') }} as conversion_lift_upper_95,
        {{ member_analytics.relative_conversion_lift_lower('x_t', 'n_t', 'x_h', 'n_h') }} as relative_conversion_lift_lower_95,
        {{ member_analytics.relative_conversion_lift_upper('x_t', 'n_t', 'x_h', 'n_h') }} as relative_conversion_lift_upper_95,
        {{ member_analytics.welch_difference_lower('mean_t', 'var_t', 'n_t', 'mean_h', 'var_h', 'n_h') }} as revenue_lift_lower_95,
        {{ member_analytics.welch_difference_upper('mean_t', 'var_t', 'n_t', 'mean_h', 'var_h', 'n_h') }} as revenue_lift_upper_95,
        {{ member_analytics.relative_mean_lift_lower('mean_t', 'var_t', 'n_t', 'mean_h', 'var_h', 'n_h') }} as relative_revenue_lift_lower_95,
        {{ member_analytics.relative_mean_lift_upper('mean_t', 'var_t', 'n_t', 'mean_h', 'var_h', 'n_h') }} as relative_revenue_lift_upper_95
    from both_arms
),

final as (
    select
        measured.shop_id,
        measured.audience,
        audiences.audience_name,
        audiences.channel,
        measured.assignment_month,
        cast(measured.n_t as int) as treatment_members,
        cast(measured.n_h as int) as holdout_members,
        cast(measured.x_t as int) as treatment_conversions,
        cast(measured.x_h as int) as holdout_conversions,
        measured.rate_t as treatment_conversion_rate,
        measured.rate_h as holdout_conversion_rate,
        measured.rate_t - measured.rate_h as conversion_lift,
        measured.conversion_lift_lower_95,
        measured.conversion_lift_upper_95,
        case when measured.x_h > 0 then measured.rate_t / measured.rate_h - 1 end as relative_conversion_lift,
        measured.relative_conversion_lift_lower_95,
        measured.relative_conversion_lift_upper_95,
        cast(measured.revenue_t as decimal(38, 2)) as treatment_net_revenue,
        cast(measured.revenue_h as decimal(38, 2)) as holdout_net_revenue,
        measured.mean_t as treatment_net_revenue_per_member,
        measured.mean_h as holdout_net_revenue_per_member,
        measured.mean_t - measured.mean_h as revenue_lift_per_member,
        measured.revenue_lift_lower_95,
        measured.revenue_lift_upper_95,
        case when measured.mean_h > 0 then measured.mean_t / measured.mean_h - 1 end as relative_revenue_lift,
        measured.relative_revenue_lift_lower_95,
        measured.relative_revenue_lift_upper_95,
        (measured.rate_t - measured.rate_h) * measured.n_t as incremental_conversions,
        (measured.mean_t - measured.mean_h) * measured.n_t as incremental_net_revenue,
        coalesce(measured.conversion_lift_lower_95 > 0 or measured.conversion_lift_upper_95 < 0, false)
            as is_conversion_lift_significant,
        cast(measured.sent_t as double) / measured.n_t as treatment_sent_share,
        cast(measured.sent_h as double) / measured.n_h as holdout_sent_share
    from measured
    left join audiences
        on measured.audience = audiences.audience
)

select * from final
