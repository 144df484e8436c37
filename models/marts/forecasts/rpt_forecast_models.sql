-- One row per shop: the forecast models fitted on the shop's buyers as of
-- as_of_date and how they did on the shop's own history (docs/decisions/0122).
-- Both purchase models' parameters (BG/NBD and MBG/NBD, alpha in days),
-- Gamma-Gamma's, each with its convergence, iterations and mean negative
-- log-likelihood as lifetimes reports it (the purchase models' on lifetimes'
-- time axis scaled by the largest T); which models score the members
-- (purchase_model_scope, spend_model, model_status as in fct_member_forecasts).
-- The holdout check: the models fitted again as of as_of_date less the
-- holdout days var, on what was known then, predict the purchase days each
-- then-buyer makes in the holdout days; against the purchase days made
-- (in total and as the mean absolute error per member; per decile of
-- prediction in rpt_forecast_holdout_deciles).
with

fits as (
    select * from {{ ref('int_forecast_model_fits') }}
    where fit_period = 'as_of_date' and fit_scope = 'shop'
),

models as (
    select * from {{ ref('int_forecast_models_chosen') }}
    where fit_period = 'as_of_date'
),

holdout_models as (
    select * from {{ ref('int_forecast_models_chosen') }}
    where fit_period = 'holdout_calibration'
),

predictions as (
    select * from {{ ref('int_member_holdout_predictions') }}
),

holdout as (
    select
        shop_id,
        min(calibration_end_date) as calibration_end_date,
        count(*) as calibration_buyers,
        sum(predicted_holdout_purchase_days) as predicted_holdout_purchase_days,
        cast(sum(actual_holdout_purchase_days) as bigint) as actual_holdout_purchase_days,
        avg(abs(predicted_holdout_purchase_days - actual_holdout_purchase_days)) as mean_absolute_error
    from predictions
    group by shop_id
),

final as (
    select
        fits.shop_id,
        fits.observation_date as as_of_date,
        fits.buyers,
        fits.repeat_buyers,
        fits.bgnbd_r,
        fits.bgnbd_alpha,
        fits.bgnbd_a,
        fits.bgnbd_b,
        fits.bgnbd_converged,
        fits.bgnbd_iterations,
        fits.bgnbd_mean_negative_log_likelihood,
        fits.bgnbd_message,
        fits.mbgnbd_r,
        fits.mbgnbd_alpha,
        fits.mbgnbd_a,
        fits.mbgnbd_b,
        fits.mbgnbd_converged,
        fits.mbgnbd_iterations,
        fits.mbgnbd_mean_negative_log_likelihood,
        fits.mbgnbd_message,
        fits.gamma_gamma_p,
        fits.gamma_gamma_q,
        fits.gamma_gamma_v,
        fits.gamma_gamma_converged,
        fits.gamma_gamma_iterations,
        fits.gamma_gamma_mean_negative_log_likelihood,
        fits.gamma_gamma_message,
        fits.mean_repeat_spend,
        models.purchase_model_scope,
        models.spend_model,
        models.model_status,
        cast({{ member_analytics.forecast_var('holdout_days') }} as int) as holdout_days,
        holdout.calibration_end_date,
        coalesce(holdout.calibration_buyers, 0) as calibration_buyers,
        holdout_models.purchase_model_scope as holdout_purchase_model_scope,
        holdout_models.model_status as holdout_model_status,
        {{ member_analytics.forecast_round('holdout.predicted_holdout_purchase_days', 6) }}
            as predicted_holdout_purchase_days,
        holdout.actual_holdout_purchase_days,
        {{ member_analytics.forecast_round(
            'holdout.predicted_holdout_purchase_days / nullif(holdout.actual_holdout_purchase_days, 0)', 6
        ) }} as predicted_to_actual_ratio,
        {{ member_analytics.forecast_round('holdout.mean_absolute_error', 6) }} as holdout_mean_absolute_error
    from fits
    inner join models
        on fits.shop_id = models.shop_id
    left join holdout_models
        on fits.shop_id = holdout_models.shop_id
    left join holdout
        on fits.shop_id = holdout.shop_id
)

select * from final
