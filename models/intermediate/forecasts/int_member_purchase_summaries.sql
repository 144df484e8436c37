-- One row per shop, member and fit period with at least one valid purchase day
-- by the period's observation date: the buy-till-you-die summary in days, as
-- lifetimes' summary_data_from_transaction_data(freq='D') computes it
-- (docs/decisions/0122). A purchase day is a day with at least one valid
-- purchase; its amount is the day's net amount. repeat_purchase_days (x) is
-- the purchase days less one, purchase_span_days (t_x) the days from the first
-- to the last purchase day, customer_age_days (T) the days from the first
-- purchase day to the observation date, repeat_average_spend the mean amount
-- of the purchase days after the first (0 for one-time buyers).
--
-- Two fit periods: 'as_of_date' (the orders as of as_of_date, as fct_orders
-- values them) and 'holdout_calibration' (the orders dated up to as_of_date
-- less the holdout days, each valid and refunded as it stood on that date, so
-- the calibration fit sees only what was known then), with the purchase days
-- each calibration member then made in the holdout days (as of as_of_date).
with

orders as (
    select * from {{ ref('int_orders_valued') }}
),

as_of as (
    select
        {{ member_analytics.as_of_date() }} as as_of_date,
        {{ member_analytics.add_days(member_analytics.as_of_date(), '-' ~ member_analytics.forecast_var('holdout_days')) }}
            as calibration_end_date
),

-- the orders' purchase days as of as_of_date
as_of_date_purchases as (
    select
        orders.shop_id,
        orders.member_id,
        'as_of_date' as fit_period,
        as_of.as_of_date as observation_date,
        orders.ordered_date as purchase_date,
        orders.net_amount
    from orders
    cross join as_of
    where orders.is_valid_purchase
),

-- the orders dated up to the calibration end, valid and refunded as of then
calibration_orders as (
    select
        orders.shop_id,
        orders.member_id,
        orders.status,
        orders.gross_amount,
        orders.ordered_date,
        as_of.calibration_end_date,
        {{ member_analytics.refund_as_of_columns('orders', 'as_of.calibration_end_date') }}
    from orders
    cross join as_of
    where orders.ordered_date <= as_of.calibration_end_date
),

calibration_purchases as (
    select
        shop_id,
        member_id,
        'holdout_calibration' as fit_period,
        calibration_end_date as observation_date,
        ordered_date as purchase_date,
        gross_amount - refund_amount as net_amount
    from calibration_orders
    where {{ member_analytics.is_valid_purchase('status', 'gross_amount', 'refund_amount') }}
),

purchases as (
    select * from as_of_date_purchases
    union all
    select * from calibration_purchases
),

purchase_days as (
    select
        shop_id,
        member_id,
        fit_period,
        observation_date,
        purchase_date,
        sum(net_amount) as day_net_amount
    from purchases
    group by shop_id, member_id, fit_period, observation_date, purchase_date
),

numbered_days as (
    select
        *,
        row_number() over (
            partition by shop_id, member_id, fit_period order by purchase_date
        ) as purchase_day_number,
        {{ dbt.datediff(
            'lag(purchase_date) over (partition by shop_id, member_id, fit_period order by purchase_date)',
            'purchase_date', 'day') }} as days_since_previous_purchase
    from purchase_days
),

summaries as (
    select
        shop_id,
        member_id,
        fit_period,
        observation_date,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) - 1 as repeat_purchase_days,
        -- the exact decimal sum, then a division of doubles: the same bits on every engine
        coalesce(
            cast(sum(case when purchase_day_number > 1 then day_net_amount end) as double)
            / nullif(count(*) - 1, 0),
            0
        ) as repeat_average_spend
    from numbered_days
    group by shop_id, member_id, fit_period, observation_date
),

-- the median gap of each member as of as_of_date, from the gaps in order: the middle one, or
-- the mean of the middle two (a grouped quantile over two million members spills for minutes)
ranked_gaps as (
    select
        shop_id,
        member_id,
        days_since_previous_purchase,
        row_number() over (
            partition by shop_id, member_id order by days_since_previous_purchase
        ) as gap_rank,
        count(*) over (partition by shop_id, member_id) as gaps
    from numbered_days
    where fit_period = 'as_of_date' and days_since_previous_purchase is not null
),

median_gaps as (
    select
        shop_id,
        member_id,
        avg(cast(days_since_previous_purchase as double)) as median_days_between_purchases
    from ranked_gaps
    where gap_rank * 2 between gaps and gaps + 2
    group by shop_id, member_id
),

-- the purchase days each member made in the holdout days, as of as_of_date
holdout_purchase_days as (
    select
        as_of_date_purchases.shop_id,
        as_of_date_purchases.member_id,
        count(distinct as_of_date_purchases.purchase_date) as holdout_purchase_days
    from as_of_date_purchases
    cross join as_of
    where as_of_date_purchases.purchase_date > as_of.calibration_end_date
    group by as_of_date_purchases.shop_id, as_of_date_purchases.member_id
),

final as (
    select
        summaries.shop_id,
        summaries.member_id,
        summaries.fit_period,
        summaries.observation_date,
        summaries.first_purchase_date,
        summaries.last_purchase_date,
        cast(summaries.repeat_purchase_days as bigint) as repeat_purchase_days,
        cast({{ dbt.datediff('summaries.first_purchase_date', 'summaries.last_purchase_date', 'day') }} as bigint)
            as purchase_span_days,
        cast({{ dbt.datediff('summaries.first_purchase_date', 'summaries.observation_date', 'day') }} as bigint)
            as customer_age_days,
        cast(summaries.repeat_average_spend as double) as repeat_average_spend,
        median_gaps.median_days_between_purchases,
        case
            when summaries.fit_period = 'holdout_calibration'
                then cast(coalesce(holdout_purchase_days.holdout_purchase_days, 0) as bigint)
        end as holdout_purchase_days
    from summaries
    left join holdout_purchase_days
        on
            summaries.fit_period = 'holdout_calibration'
            and summaries.shop_id = holdout_purchase_days.shop_id
            and summaries.member_id = holdout_purchase_days.member_id
    left join median_gaps
        on
            summaries.fit_period = 'as_of_date'
            and summaries.shop_id = median_gaps.shop_id
            and summaries.member_id = median_gaps.member_id
)

select * from final
