-- Question: "Which of our most valuable members are we about to lose?" One row
-- per shop and member in the shop's top tenth by predicted value over the next
-- 365 days (discounted) whose churn risk is high or medium, the likeliest to
-- be gone first: the list for a win-back call, with the days since the last
-- purchase against the member's usual gap.
with

forecasts as (
    select * from {{ ref('fct_member_forecasts') }}
),

ranked as (
    select
        *,
        percent_rank() over (
            partition by shop_id order by predicted_clv_365d_discounted desc, member_id asc
        ) as value_rank
    from forecasts
    where predicted_clv_365d_discounted is not null
),

final as (
    select
        shop_id,
        member_id,
        churn_risk_band,
        p_alive_mbgnbd,
        predicted_clv_365d_discounted,
        expected_purchases_365d,
        median_days_between_purchases,
        purchase_overdue_factor
    from ranked
    where value_rank < 0.1 and churn_risk_band in ('high', 'medium')
)

select * from final
order by shop_id asc, p_alive_mbgnbd asc, member_id asc
