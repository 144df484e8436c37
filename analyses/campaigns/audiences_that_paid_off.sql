-- "Which audiences brought buyers we would not have had without the message,
-- over the last three months of closed windows, and how sure are we?" One row
-- per shop and audience: the report's rows of the three months before
-- as_of_date's month pooled (members and conversions summed per arm), the
-- conversion lift, its normal-approximation 95% interval on the pooled
-- counts, and the net revenue the messages brought; largest lift first.
with

recent as (
    select * from {{ ref('rpt_campaign_lift') }}
    where
        assignment_month >= cast({{ dbt.dateadd('month', -3, dbt.date_trunc('month', member_analytics.as_of_date())) }} as date)
),

pooled as (
    select
        shop_id,
        audience,
        sum(treatment_members) as treatment_members,
        sum(holdout_members) as holdout_members,
        cast(sum(treatment_conversions) as double) / sum(treatment_members) as treatment_rate,
        cast(sum(holdout_conversions) as double) / sum(holdout_members) as holdout_rate,
        sum(incremental_net_revenue) as incremental_net_revenue
    from recent
    group by shop_id, audience
)

select
    shop_id,
    audience,
    treatment_members,
    holdout_members,
    treatment_rate,
    holdout_rate,
    treatment_rate - holdout_rate as conversion_lift,
    treatment_rate - holdout_rate - 1.959963984540054 * sqrt(
        treatment_rate * (1 - treatment_rate) / treatment_members + holdout_rate * (1 - holdout_rate) / holdout_members
    ) as conversion_lift_lower_95,
    treatment_rate - holdout_rate + 1.959963984540054 * sqrt(
        treatment_rate * (1 - treatment_rate) / treatment_members + holdout_rate * (1 - holdout_rate) / holdout_members
    ) as conversion_lift_upper_95,
    incremental_net_revenue
from pooled
order by conversion_lift desc, shop_id asc, audience asc
