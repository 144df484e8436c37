-- Question: "How many members are in each churn-risk band, and how much do
-- we expect from each band over the next year?" One row per shop and band:
-- members, their expected purchase days and predicted value in 365 days
-- (undiscounted), and the band's share of the shop's predicted value.
with

forecasts as (
    select * from {{ ref('fct_member_forecasts') }}
    where churn_risk_band is not null
),

bands as (
    select
        shop_id,
        churn_risk_band,
        count(*) as members,
        sum(expected_purchases_365d) as expected_purchase_days,
        sum(predicted_clv_365d) as predicted_value
    from forecasts
    group by shop_id, churn_risk_band
),

final as (
    select
        shop_id,
        churn_risk_band,
        members,
        round(expected_purchase_days, 2) as expected_purchase_days,
        round(predicted_value, 2) as predicted_value,
        round(predicted_value / sum(predicted_value) over (partition by shop_id), 4) as share_of_predicted_value
    from bands
)

select * from final
order by shop_id asc, churn_risk_band asc
