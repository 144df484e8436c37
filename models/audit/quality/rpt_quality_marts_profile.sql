-- One row per shop, public mart and metric of the published marts: the RFM
-- score ranges (current and history), the largest RFM segment's share of
-- buyers, buyers without exactly one current tier per scheme, and the lowest
-- points balances. Compact at any scale: SQL aggregates, the Great
-- Expectations suite published_marts validates these rows
-- (docs/decisions/0070). Counts are 0 and extremes null when a shop has no row.
{%- set score_columns = ['r_score', 'f_score', 'm_score'] %}
{%- set score_extremes = [] %}
{%- for column in score_columns %}
    {%- do score_extremes.extend([column ~ '_min', column ~ '_max']) %}
{%- endfor %}
{%- set tier_counts = ['buyer_schemes', 'buyer_schemes_without_current_tier',
                       'buyer_schemes_with_several_current_tiers', 'current_tiers_of_non_buyers'] %}
with

members as (
    select * from {{ ref('dim_members') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

rfm as (
    select * from {{ ref('fct_member_rfm') }}
),

rfm_history as (
    select * from {{ ref('fct_member_rfm_history') }}
),

tiers_current as (
    select * from {{ ref('fct_member_tiers_current') }}
),

tier_schemes as (
    select * from {{ ref('tier_schemes') }}
),

points_ledger as (
    select * from {{ ref('fct_member_points_ledger') }}
),

points_balance as (
    select * from {{ ref('fct_member_points_balance') }}
),

shops as (
    select shop_id from members
    union
    select shop_id from orders
),

rfm_metrics as (
    select
        shop_id,
        count(*) as buyers,
        {% for column in score_columns %}
            min({{ column }}) as {{ column }}_min,
            max({{ column }}) as {{ column }}_max,
        {% endfor %}
        sum(case when rfm_segment is null then 1 else 0 end) as buyers_without_segment
    from rfm
    group by shop_id
),

-- `lost` is left out of the largest segment: with R in day bands (issue 22)
-- a mature shop's buyers beyond 270 days are rightly most of it, while a
-- collapsed scoring piles buyers into any one segment (docs/decisions/0011)
segment_buyers as (
    select
        shop_id,
        rfm_segment,
        count(*) as buyers
    from rfm
    where rfm_segment is null or rfm_segment <> 'lost'
    group by shop_id, rfm_segment
),

largest_segments as (
    select
        segment_buyers.shop_id,
        max(cast(segment_buyers.buyers as double) / rfm_metrics.buyers) as largest_segment_share
    from segment_buyers
    inner join rfm_metrics
        on segment_buyers.shop_id = rfm_metrics.shop_id
    group by segment_buyers.shop_id
),

rfm_shop_metrics as (
    select
        rfm_metrics.*,
        largest_segments.largest_segment_share
    from rfm_metrics
    inner join largest_segments
        on rfm_metrics.shop_id = largest_segments.shop_id
),

rfm_history_metrics as (
    select
        shop_id,
        {% for column in score_columns %}
            min({{ column }}) as {{ column }}_min,
            max({{ column }}) as {{ column }}_max{% if not loop.last %},{% endif %}
        {% endfor %}
    from rfm_history
    group by shop_id
),

-- Buyers for the tier marts (docs/decisions/0030): a counting order placed on
-- or before as_of_date that stood at least its order day, i.e. was not
-- refunded in full on that same day.
tier_buyers as (
    select distinct
        shop_id,
        member_id
    from orders
    where
        not is_after_as_of_date
        and {{ member_analytics.is_counting_order('status', 'gross_amount') }}
        and not (gross_amount > 0 and refund_amount >= gross_amount and refund_date = ordered_date)
),

schemes as (
    select distinct scheme_name
    from tier_schemes
),

current_tier_counts as (
    select
        shop_id,
        member_id,
        scheme_name,
        count(*) as current_tiers
    from tiers_current
    group by shop_id, member_id, scheme_name
),

expected_tiers as (
    select
        tier_buyers.shop_id,
        tier_buyers.member_id,
        schemes.scheme_name
    from tier_buyers
    cross join schemes
),

tier_checks as (
    select
        coalesce(expected_tiers.shop_id, current_tier_counts.shop_id) as shop_id,
        (expected_tiers.member_id is not null) as is_expected,
        coalesce(current_tier_counts.current_tiers, 0) as current_tiers
    from expected_tiers
    full outer join current_tier_counts
        on
            expected_tiers.shop_id = current_tier_counts.shop_id
            and expected_tiers.member_id = current_tier_counts.member_id
            and expected_tiers.scheme_name = current_tier_counts.scheme_name
),

tier_metrics as (
    select
        shop_id,
        sum(case when is_expected then 1 else 0 end) as buyer_schemes,
        sum(case when is_expected and current_tiers = 0 then 1 else 0 end) as buyer_schemes_without_current_tier,
        sum(case when is_expected and current_tiers > 1 then 1 else 0 end) as buyer_schemes_with_several_current_tiers,
        sum(case when not is_expected then 1 else 0 end) as current_tiers_of_non_buyers
    from tier_checks
    group by shop_id
),

ledger_metrics as (
    select
        shop_id,
        min(balance_after) as min_balance_after,
        sum(case when balance_after < 0 then 1 else 0 end) as negative_balance_movements
    from points_ledger
    group by shop_id
),

balance_metrics as (
    select
        shop_id,
        min(balance_points) as min_balance_points,
        sum(case when balance_points < 0 then 1 else 0 end) as members_with_negative_balance
    from points_balance
    group by shop_id
),

final as (
    {{ member_analytics.quality_metric_rows(
        'shops', 'rfm_shop_metrics', 'fct_member_rfm',
        ['buyers', 'buyers_without_segment', 'largest_segment_share'] + score_extremes,
        zero_when_absent=['buyers', 'buyers_without_segment']) }}
    union all
    {{ member_analytics.quality_metric_rows('shops', 'rfm_history_metrics', 'fct_member_rfm_history', score_extremes) }}
    union all
    {{ member_analytics.quality_metric_rows(
        'shops', 'tier_metrics', 'fct_member_tiers_current', tier_counts, zero_when_absent=tier_counts) }}
    union all
    {{ member_analytics.quality_metric_rows(
        'shops', 'ledger_metrics', 'fct_member_points_ledger',
        ['min_balance_after', 'negative_balance_movements'], zero_when_absent=['negative_balance_movements']) }}
    union all
    {{ member_analytics.quality_metric_rows(
        'shops', 'balance_metrics', 'fct_member_points_balance',
        ['min_balance_points', 'members_with_negative_balance'],
        zero_when_absent=['members_with_negative_balance']) }}
)

select * from final
