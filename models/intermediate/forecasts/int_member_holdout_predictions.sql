-- One row per shop and member with a valid purchase day by the calibration
-- end (as_of_date less the holdout days var): the purchase days BG/NBD, fitted
-- on what was known at the calibration end, expects the member to make in the
-- holdout days, beside the purchase days the member made in them
-- (docs/decisions/0122). The models are chosen as for fct_member_forecasts
-- (int_forecast_models_chosen; none: a null prediction). The input of the
-- holdout check in rpt_forecast_models.
with

summaries as (
    select * from {{ ref('int_member_purchase_summaries') }}
    where fit_period = 'holdout_calibration'
),

models as (
    select * from {{ ref('int_forecast_models_chosen') }}
    where fit_period = 'holdout_calibration'
),

final as (
    select
        summaries.shop_id,
        summaries.member_id,
        summaries.observation_date as calibration_end_date,
        summaries.repeat_purchase_days,
        summaries.purchase_span_days,
        summaries.customer_age_days,
        models.purchase_model_scope,
        {{ member_analytics.forecast_round(
            'member_analytics_bgnbd_expected_purchases(models.bgnbd_r, models.bgnbd_alpha,'
            ~ ' models.bgnbd_a, models.bgnbd_b, ' ~ member_analytics.forecast_var('holdout_days') ~ ','
            ~ ' cast(summaries.repeat_purchase_days as double), cast(summaries.purchase_span_days as double),'
            ~ ' cast(summaries.customer_age_days as double))'
        ) }} as predicted_holdout_purchase_days,
        summaries.holdout_purchase_days as actual_holdout_purchase_days
    from summaries
    inner join models
        on summaries.shop_id = models.shop_id
)

select * from final
