-- The forecasts hold together: probabilities in [0, 1]; expected purchase
-- days non-negative and growing with the horizon; the undiscounted value is
-- purchases × spend and at least the discounted one (twelve 30-day months
-- are 360 days, fewer than 365); a one-time buyer is certainly alive under
-- BG/NBD and has no repeat spend; the churn band follows MBG/NBD's p_alive;
-- the purchase columns are null exactly when the member is unscored.
select
    shop_id,
    member_id,
    model_status
from {{ ref('fct_member_forecasts') }}
where
    (model_status like 'unscored%') != (p_alive is null)
    or (model_status like 'unscored%') != (p_alive_mbgnbd is null)
    or (model_status like 'unscored%') != (predicted_clv_365d_discounted is null)
    or p_alive < 0 or p_alive > 1
    or p_alive_mbgnbd < 0 or p_alive_mbgnbd > 1
    or expected_purchases_30d < 0
    or expected_purchases_90d < expected_purchases_30d
    or expected_purchases_365d < expected_purchases_90d
    or predicted_clv_365d < predicted_clv_365d_discounted - 1e-6
    or abs(predicted_clv_365d - expected_purchases_365d * expected_average_spend)
    > 1e-6 * (1 + abs(predicted_clv_365d))
    or (repeat_purchase_days = 0 and (p_alive != 1 or repeat_average_spend != 0))
    or (churn_risk_band = 'high') != (p_alive_mbgnbd < {{ member_analytics.forecast_var('churn_high_below') }})
    or (repeat_purchase_days > 0) != (median_days_between_purchases is not null)
