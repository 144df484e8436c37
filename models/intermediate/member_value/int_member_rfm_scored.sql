-- One row per shop, member and snapshot date (int_months_spined: every month
-- end from the first kept order, and as_of_date itself): the member's RFM as it
-- stood at that date: R from the days since the last purchase in bands, or
-- relative like F and M (var member_analytics__rfm__recency_scoring), F and M
-- among the shop's members at that snapshot only (macro rfm_scores;
-- docs/decisions/0010), with the segment (seed rfm_segment_map, the rows of
-- the mode), the recency band and the ladder rung. The one place RFM is
-- scored: fct_member_rfm_history selects every snapshot, fct_member_rfm the
-- as_of_date one.
--
-- Each order counts at the snapshots on or after its date; a refund counts from its
-- refund_date on (a later refund does not change earlier snapshots, and a full
-- refund ends the order's life as a purchase from that date).
--
-- Why the as_of_date snapshot is the order rules' own as-of state
-- (int_orders_valued, which fct_orders publishes), so the current mart keeps the
-- answer it had when it read is_valid_purchase and net_amount: at snapshot_date = as_of_date the orders taken are those dated on
-- or before as_of_date (not is_after_as_of_date), the refund applied is
-- refund_amount when refund_date <= as_of_date, else 0 (int_orders_valued'
-- applied_refund_amount; its refund_date column is null only when the refund is
-- 0), and validity is the same is_valid_purchase over gross_amount (paid_amount as
-- decimal(18, 2)) and that refund: so `purchases_at_as_of_date` holds exactly the
-- orders with is_valid_purchase, and gross_amount − refund is their net_amount.
-- When as_of_date is a month end, int_months_spined has one snapshot on it (the
-- month end, is_partial_month false), not two, so the same rows are selected.
--
-- is_as_of_date_snapshot (which snapshot set a row belongs to: the as_of_date
-- one, or a month end before it) is a column of the grain and in every score's
-- window partition (where it changes no score: one snapshot_date has one value
-- of it).
--
-- Two routes to the same measures, one per snapshot set (docs/decisions/0111):
-- the as_of_date snapshot aggregates the orders directly, as it always did;
-- the month ends before it are accumulated per member and month from the
-- changes (an order counting from its month, a refund changing it from the
-- refund's month: macro rfm_month_end_ctes), so the history never joins every
-- order to every later month end.
--
-- A table, incremental by snapshot on DuckDB (docs/decisions/0120): a daily run
-- scores the as_of_date snapshot again and the month ends from the cutoff on
-- (rfm_history_scope: the earliest month end at which a changed member's
-- measures differ from the stored ones, or a month end not stored yet), every
-- member there, since scores are shop-relative; the month ends before it stand.
-- No as_of_date column: a stored month end is the same whichever later
-- as_of_date scored it (the marts add the build's as_of_date).
-- depends_on: {{ ref('int_incremental_changed_members') }}, {{ ref('int_as_of_date') }}
{{ config(**member_analytics.member_keyed_config('delete_rfm_snapshots()')) }}
{%- set scope = member_analytics.rfm_history_scope() if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(scope.state if scope else none) %}
with

orders as (
    select * from {{ ref('int_orders_valued') }}
    where not is_after_as_of_date
),

-- The same orders, imported a second time on purpose for the month-end route:
-- a CTE read by both routes is materialised by DuckDB (it copied every order
-- first: about +40% CPU at medium when fct_member_rfm read this as a view).
orders_for_month_ends as (
    select * from {{ ref('int_orders_valued') }}
    where not is_after_as_of_date
),

snapshot_months as (
    select
        *,
        snapshot_date = as_of_date as is_as_of_date_snapshot
    from {{ ref('int_months_spined') }}
),

-- the map's rows for the recency scoring mode of this build
segment_map as (
    select * from {{ ref('rfm_segment_map') }}
    where recency_scoring = '{{ member_analytics.rfm_recency_scoring() }}'
),

-- The as_of_date snapshot: every order on or before it, its refund applied
-- when dated on or before it.
as_of_date_snapshot as (
    select * from snapshot_months
    where is_as_of_date_snapshot
),

orders_at_as_of_date as (
    select
        orders.shop_id,
        orders.member_id,
        orders.status,
        orders.gross_amount,
        case
            when orders.refund_date <= as_of_date_snapshot.snapshot_date then orders.refund_amount
            else cast(0 as decimal(18, 2))
        end as applied_refund_amount,
        as_of_date_snapshot.is_partial_month,
        as_of_date_snapshot.is_as_of_date_snapshot,
        orders.ordered_date,
        as_of_date_snapshot.snapshot_date,
        as_of_date_snapshot.as_of_date
    from orders
    inner join as_of_date_snapshot
        on orders.ordered_date <= as_of_date_snapshot.snapshot_date
),

purchases_at_as_of_date as (
    select * from orders_at_as_of_date
    where {{ member_analytics.is_valid_purchase('status', 'gross_amount', 'applied_refund_amount') }}
),

members_at_as_of_date as (
    select
        shop_id,
        member_id,
        snapshot_date,
        is_partial_month,
        is_as_of_date_snapshot,
        as_of_date,
        count(*) as frequency,
        count(distinct ordered_date) as purchase_days,
        sum(gross_amount - applied_refund_amount) as monetary,
        min(ordered_date) as first_purchase_date,
        max(ordered_date) as last_purchase_date
    from purchases_at_as_of_date
    group by shop_id, member_id, snapshot_date, is_partial_month, is_as_of_date_snapshot, as_of_date
),

-- The month ends before as_of_date. A month end's snapshot takes the orders
-- dated in its month or before, and a refund dated in its month or before: an
-- order's state changes only at the month of its date and at the month of its
-- refund (the later of the two), so its validity and net amount are intervals
-- of months [start_month_number, end_month_number), end null when open.
month_end_snapshots as (
    select
        *,
        {{ member_analytics.month_number('snapshot_date') }} as snapshot_month_number
    from snapshot_months
    where not is_as_of_date_snapshot{{ ' and snapshot_date >= ' ~ scope.cutoff if scope }}
),

{%- if scope and not scope.month_ends %}

-- a daily run that scores no month end again: the month-end route is not run
members_at_month_ends as (
    select * from members_at_as_of_date
    where false
),
{%- else %}

    {{ member_analytics.rfm_month_end_ctes() }},
{%- endif %}

members as (
    select * from members_at_as_of_date
    union all
    select * from members_at_month_ends
),

measured as (
    select
        *,
        cast({{ dbt.datediff('last_purchase_date', 'snapshot_date', 'day') }} as int) as recency_days
    from members
),

scored as (
    select
        *,
        {{ member_analytics.rfm_scores('shop_id, snapshot_date, is_as_of_date_snapshot') }}
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
        cast(scored.monetary as decimal(38, 2)) as monetary,
        {{ member_analytics.money_per('scored.monetary', 'scored.frequency') }} as average_order_value,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        {{ member_analytics.loyalty_ladder_step('scored.frequency') }} as loyalty_ladder_step,
        scored.is_partial_month,
        scored.is_as_of_date_snapshot,
        scored.snapshot_date,
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
