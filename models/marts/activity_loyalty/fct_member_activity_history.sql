-- One row per shop, member and snapshot date (every month end since the first
-- kept order, and as_of_date) from the member's start: visit days in the
-- window, days since the last visit and the activity level as they stood on
-- that date (docs/decisions/0040): int_member_states at its history snapshot
-- dates. Incremental on DuckDB (docs/decisions/0119): a daily run takes the rows
-- the member state recomputed (the changed members, and every member from the
-- cutoff on); the month ends before the cutoff stand for the others.
-- depends_on: {{ ref('int_incremental_changed_members') }}, {{ ref('int_as_of_date') }}
{{ config(**member_analytics.member_keyed_config('delete_member_states(history=true)')) }}
{%- set scope = member_analytics.member_state_scope(history=true) if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(scope.state if scope else none) %}
with

member_states as (
    select states.* from {{ ref('int_member_states') }} as states
    where
        states.is_history_snapshot_date
        and states.evaluation_date >= states.membership_start_date
        and {{ member_analytics.in_member_state_scope(scope, 'states.evaluation_date', 'states') }}
),

final as (
    select
        shop_id,
        member_id,
        evaluation_date as snapshot_date,
        days_since_membership_start,
        visit_days_in_window,
        last_visit_date,
        days_since_last_visit,
        activity_level,
        activity_group,
        activity_level_rank
    from member_states
)

select * from final
