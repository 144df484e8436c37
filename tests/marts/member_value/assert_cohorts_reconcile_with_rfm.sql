-- Every buyer is in exactly one cohort, and a cohort's cumulative net revenue
-- in the month of as_of_date is its members' monetary: per shop, the cohort
-- sizes and the latest cumulative revenue add up to fct_member_rfm.
with

rfm_totals as (
    select
        shop_id,
        count(*) as buyers,
        sum(monetary) as net_revenue
    from {{ ref('fct_member_rfm') }}
    group by shop_id
),

cohort_totals as (
    select
        shop_id,
        sum(case when months_since_first_purchase = 0 then cohort_size else 0 end) as buyers,
        sum(
            case
                when activity_month = {{ dbt.date_trunc('month', member_analytics.as_of_date()) }}
                    then cumulative_net_revenue
                else 0
            end
        ) as net_revenue
    from {{ ref('rpt_cohort_retention') }}
    group by shop_id
)

select
    coalesce(rfm_totals.shop_id, cohort_totals.shop_id) as shop_id,
    rfm_totals.buyers as rfm_buyers,
    cohort_totals.buyers as cohort_buyers
from rfm_totals
full outer join cohort_totals
    on rfm_totals.shop_id = cohort_totals.shop_id
where
    coalesce(rfm_totals.buyers, 0) <> coalesce(cohort_totals.buyers, 0)
    or coalesce(rfm_totals.net_revenue, 0) <> coalesce(cohort_totals.net_revenue, 0)
