-- One row per shop, member and snapshot date (int_months_spined: every month
-- end from the first kept order, and as_of_date itself): the member's RFM as it
-- stood at that date: R from the days since the last purchase in bands, or
-- relative like F and M (var member_analytics__rfm__recency_scoring), F and M
-- among the shop's members at that snapshot only (macro rfm_scores;
-- docs/decisions/0010), with the segment (seed rfm_segment_map, the rows of
-- the mode), the recency band and the ladder rung: fct_member_rfm_history
-- selects every snapshot (fct_member_rfm reads the as_of_date one from
-- int_member_rfm_current, its source here).
--
-- Each order counts at the snapshots on or after its date; a refund counts from its
-- refund_date on (a later refund does not change earlier snapshots, and a full
-- refund ends the order's life as a purchase from that date).
--
-- is_as_of_date_snapshot (which snapshot set a row belongs to: the as_of_date
-- one, or a month end before it) is a column of the grain and in every score's
-- window partition (where it changes no score: one snapshot_date has one value
-- of it).
--
-- Two routes to the same measures, one per snapshot set (docs/decisions/0111,
-- 0129): the as_of_date snapshot is int_member_rfm_current's (the orders
-- aggregated directly, scored by the same macro rfm_scored_ctes); the month ends
-- before it are accumulated per member and month from the changes (an order
-- counting from its month, a refund changing it from the refund's month: macro
-- rfm_month_end_ctes), so the history never joins every order to every later
-- month end.
--
-- A table, incremental by snapshot on DuckDB (docs/decisions/0120): a daily run
-- takes the as_of_date snapshot again and scores the month ends from the cutoff on
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

orders_for_month_ends as (
    select * from {{ ref('int_orders_valued') }}
    where not is_after_as_of_date
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
    from {{ ref('int_months_spined') }}
    where snapshot_date <> as_of_date{{ ' and snapshot_date >= ' ~ scope.cutoff if scope }}
),
{%- if scope and not scope.month_ends %}

-- a daily run that scores no month end again: the month-end route is not run
scored_members as (
    select * from {{ ref('int_member_rfm_current') }}
    where false
),
{%- else %}

    {{ member_analytics.rfm_month_end_ctes() }},

    {{ member_analytics.rfm_scored_ctes('members_at_month_ends') }},
{%- endif %}

final as (
    select * from scored_members
    union all
    select * from {{ ref('int_member_rfm_current') }}
)

-- both sides of final come out of macro rfm_scored_ctes: the same columns in the
-- same order, which sqlfluff cannot see through the ref
select * from final  -- noqa: AM04
