-- Question: "How many members held each tier 90 days ago, and how many hold it
-- now?" One row per shop, scheme and tier (lapsed included), with the members
-- on as_of_date - 90 and on as_of_date, looked up in the tier history with the
-- macro tier_period_contains (the tier on any past date).
with

history as (
    select * from {{ ref('fct_member_tier_history') }}
),

dates as (
    select
        {{ member_analytics.as_of_date() }} as as_of_date,
        cast({{ dbt.dateadd('day', -90, member_analytics.as_of_date()) }} as date) as earlier_date
),

counted as (
    select
        history.shop_id,
        history.scheme_name,
        history.tier_name,
        history.tier_rank,
        sum(case when {{ member_analytics.tier_period_contains('history', 'dates.earlier_date') }} then 1 else 0 end)
            as members_90_days_ago,
        sum(case when {{ member_analytics.tier_period_contains('history', 'dates.as_of_date') }} then 1 else 0 end)
            as members_now
    from history
    cross join dates
    group by history.shop_id, history.scheme_name, history.tier_name, history.tier_rank
),

final as (
    select
        *,
        members_now - members_90_days_ago as change_in_members
    from counted
    where members_90_days_ago > 0 or members_now > 0
)

select * from final
order by shop_id asc, scheme_name asc, tier_rank asc, tier_name asc
