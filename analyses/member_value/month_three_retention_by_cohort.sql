-- Question: "What share of each first-purchase cohort bought again in its
-- third month after the first purchase, and how much has a member of the
-- cohort spent by then?" One row per shop and complete cohort (cohorts whose
-- month 3 is not cut short by as_of_date).
with

cohorts as (
    select * from {{ ref('rpt_cohort_retention') }}
),

final as (
    select
        shop_id,
        first_purchase_month,
        cohort_size,
        purchasing_members,
        retention_rate as month_three_retention_rate,
        cumulative_net_revenue_per_member
    from cohorts
    where
        months_since_first_purchase = 3
        and not is_partial_month
)

select * from final
order by shop_id, first_purchase_month
