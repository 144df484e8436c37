-- One row per shop and member with at least one valid purchase by as_of_date:
-- recency, frequency and monetary value, their 1–5 scores within the shop
-- (macro rfm_scores), the segment (seed rfm_segment_map), the recency band and
-- the loyalty-ladder rung. Refunds dated up to as_of_date are applied
-- (fct_orders); orders after as_of_date are not purchases.
with

orders as (
    select * from {{ ref('fct_orders') }}
    where is_valid_purchase
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

members as (
    select
        shop_id,
        member_id,
        count(*) as frequency,
        count(distinct ordered_date) as purchase_days,
        sum(net_amount) as monetary,
        min(ordered_date) as first_purchase_date,
        max(ordered_date) as last_purchase_date
    from orders
    group by shop_id, member_id
),

dated as (
    select
        *,
        {{ member_analytics.as_of_date() }} as as_of_date
    from members
),

measured as (
    select
        *,
        cast({{ dbt.datediff('last_purchase_date', 'as_of_date', 'day') }} as int) as recency_days
    from dated
),

scored as (
    select
        *,
        {{ member_analytics.rfm_scores('shop_id') }}
    from measured
),

final as (
    {{ member_analytics.rfm_scored_members_select() }}
)

select * from final
