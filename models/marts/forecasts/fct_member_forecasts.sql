-- One row per shop and member with at least one valid purchase by as_of_date
-- (the members of fct_member_rfm): what the member is expected to do next
-- (docs/decisions/0122). The summary in days (repeat purchase days x,
-- purchase span t_x, customer age T, repeat average spend) is lifetimes'
-- summary_data_from_transaction_data(freq='D'); p_alive and the expected
-- purchase days come from BG/NBD, p_alive_mbgnbd from MBG/NBD (which does not
-- take a one-time buyer as certainly alive) and sets the churn-risk band;
-- expected_average_spend from Gamma-Gamma; predicted_clv_365d is expected
-- purchases in 365 days times expected spend, undiscounted, and the
-- discounted one lifetimes' customer_lifetime_value(time=12, freq='D') at the
-- monthly discount rate var (twelve months of 30 days).
--
-- The models are the shop's (int_forecast_models_chosen: its own fit when
-- usable, else every shop's buyers fitted together, else none and the purchase
-- columns null; Gamma-Gamma's spend when usable, else the shop's mean repeat
-- spend); model_status names which. Values are rounded (forecast_round) so
-- builds repeat byte for byte.
with

summaries as (
    select * from {{ ref('int_member_purchase_summaries') }}
    where fit_period = 'as_of_date'
),

models as (
    select * from {{ ref('int_forecast_models_chosen') }}
    where fit_period = 'as_of_date'
),

members as (
    select
        summaries.*,
        cast(summaries.repeat_purchase_days as double) as frequency,
        cast(summaries.purchase_span_days as double) as recency,
        cast(summaries.customer_age_days as double) as age,
        models.purchase_model_scope,
        models.bgnbd_r,
        models.bgnbd_alpha,
        models.bgnbd_a,
        models.bgnbd_b,
        models.mbgnbd_r,
        models.mbgnbd_alpha,
        models.mbgnbd_a,
        models.mbgnbd_b,
        models.is_spend_fit_usable,
        models.gamma_gamma_p,
        models.gamma_gamma_q,
        models.gamma_gamma_v,
        models.mean_repeat_spend,
        models.spend_model,
        models.model_status
    from summaries
    inner join models
        on summaries.shop_id = models.shop_id
),

{%- set bgnbd = 'bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b' %}
{%- set mbgnbd = 'mbgnbd_r, mbgnbd_alpha, mbgnbd_a, mbgnbd_b' %}

scored as (
    select
        *,
        member_analytics_bgnbd_p_alive({{ bgnbd }}, frequency, recency, age) as p_alive,
        member_analytics_bgnbd_expected_purchases({{ bgnbd }}, 30, frequency, recency, age) as expected_purchases_30d,
        member_analytics_bgnbd_expected_purchases({{ bgnbd }}, 90, frequency, recency, age) as expected_purchases_90d,
        member_analytics_bgnbd_expected_purchases({{ bgnbd }}, 365, frequency, recency, age) as expected_purchases_365d,
        member_analytics_mbgnbd_p_alive({{ mbgnbd }}, frequency, recency, age) as p_alive_mbgnbd,
        case
            when is_spend_fit_usable
                then member_analytics_gamma_gamma_expected_spend(
                    gamma_gamma_p, gamma_gamma_q, gamma_gamma_v, frequency, repeat_average_spend
                )
            else mean_repeat_spend
        end as expected_average_spend
    from members
),

valued as (
    select
        *,
        member_analytics_discounted_value(
            {{ bgnbd }}, 12, {{ member_analytics.forecast_var('monthly_discount_rate') }},
            frequency, recency, age, expected_average_spend
        ) as discounted_clv
    from scored
),

final as (
    select
        shop_id,
        member_id,
        observation_date as as_of_date,
        repeat_purchase_days,
        purchase_span_days,
        customer_age_days,
        {{ member_analytics.forecast_round('repeat_average_spend') }} as repeat_average_spend,
        {{ member_analytics.forecast_round('p_alive') }} as p_alive,
        {{ member_analytics.forecast_round('expected_purchases_30d') }} as expected_purchases_30d,
        {{ member_analytics.forecast_round('expected_purchases_90d') }} as expected_purchases_90d,
        {{ member_analytics.forecast_round('expected_purchases_365d') }} as expected_purchases_365d,
        {{ member_analytics.forecast_round('p_alive_mbgnbd') }} as p_alive_mbgnbd,
        {{ member_analytics.forecast_round('expected_average_spend') }} as expected_average_spend,
        {{ member_analytics.forecast_round('expected_purchases_365d * expected_average_spend') }} as predicted_clv_365d,
        {{ member_analytics.forecast_round('discounted_clv') }} as predicted_clv_365d_discounted,
        case
            when p_alive_mbgnbd < {{ member_analytics.forecast_var('churn_high_below') }} then 'high'
            when p_alive_mbgnbd < {{ member_analytics.forecast_var('churn_medium_below') }} then 'medium'
            when p_alive_mbgnbd is not null then 'low'
        end as churn_risk_band,
        model_status,
        purchase_model_scope,
        spend_model,
        first_purchase_date,
        last_purchase_date,
        {{ member_analytics.forecast_round('median_days_between_purchases') }} as median_days_between_purchases,
        {{ member_analytics.forecast_round(
            'case when repeat_purchase_days > 0 then cast(purchase_span_days as double) / repeat_purchase_days end'
        ) }} as mean_days_between_purchases,
        case
            when median_days_between_purchases is not null
                then {{ member_analytics.add_days('last_purchase_date', 'cast(ceil(median_days_between_purchases) as int)') }}
        end as expected_next_purchase_date,
        {{ member_analytics.forecast_round(
            'cast(' ~ dbt.datediff('last_purchase_date', 'observation_date', 'day') ~ ' as double)'
            ~ ' / nullif(median_days_between_purchases, 0)'
        ) }} as purchase_overdue_factor
    from valued
)

select * from final
