-- One row per shop and decile of prediction (1: the tenth of the shop's
-- calibration buyers with the fewest predicted holdout purchase days, 10: the
-- most; ties broken by member_id): predicted against actual purchase days in
-- the holdout days (docs/decisions/0122; the shop's totals are in
-- rpt_forecast_models). A shop without a usable model as of the calibration
-- end has no rows.
with

predictions as (
    select * from {{ ref('int_member_holdout_predictions') }}
    where predicted_holdout_purchase_days is not null
),

ranked as (
    select
        *,
        ntile(10) over (
            partition by shop_id order by predicted_holdout_purchase_days, member_id
        ) as prediction_decile
    from predictions
),

final as (
    select
        shop_id,
        cast(prediction_decile as int) as prediction_decile,
        min(calibration_end_date) as calibration_end_date,
        count(*) as members,
        {{ member_analytics.forecast_round('sum(predicted_holdout_purchase_days)', 6) }} as predicted_purchase_days,
        cast(sum(actual_holdout_purchase_days) as bigint) as actual_purchase_days,
        {{ member_analytics.forecast_round('avg(predicted_holdout_purchase_days)', 6) }}
            as mean_predicted_purchase_days,
        {{ member_analytics.forecast_round('avg(cast(actual_holdout_purchase_days as double))', 6) }}
            as mean_actual_purchase_days
    from ranked
    group by shop_id, prediction_decile
)

select * from final
