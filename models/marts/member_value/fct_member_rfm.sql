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
    select
        scored.shop_id,
        scored.member_id,
        segment_map.rfm_segment,
        {{ member_analytics.recency_band('scored.recency_days') }} as recency_band,
        scored.recency_days,
        cast(scored.frequency as bigint) as frequency,
        cast(scored.purchase_days as bigint) as purchase_days,
        cast(scored.monetary as decimal(18, 2)) as monetary,
        {{ member_analytics.money_per('scored.monetary', 'scored.frequency') }} as average_order_value,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        {{ member_analytics.loyalty_ladder_step('scored.frequency') }} as loyalty_ladder_step,
        scored.as_of_date,
        scored.first_purchase_date,
        scored.last_purchase_date
    from scored
    left join segment_map
        on
            scored.r_score = segment_map.r_score
            and scored.f_score = segment_map.f_score
            and scored.m_score = segment_map.m_score
)

select * from final
