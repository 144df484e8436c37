-- One row per build since the last full refresh: the resolved as_of_date and
-- latest valid date (the state the next daily run builds on), and what changed
-- since the previous build: orders, members recomputed, and late changes (orders
-- placed more than the lookback before as_of_date). A post-hook warns about late
-- changes. Appended to by each build; a full refresh starts it again at 1.
-- The state describes the member-keyed incremental models (macro
-- member_keyed_models: the valued orders, the order marts, the visit days, the
-- member state and activity history, the RFM snapshots, the tier chain, the
-- points ledger, the lifecycle snapshots and stage runs, the category preferences
-- and purchase profiles, the members' purchase days of each item): a build that does not
-- rebuild all of them (a --select without one) appends nothing, so the next daily run still
-- starts from the dates they were last built for and the change ledger keeps the
-- changes since.
-- depends_on: {{ ref('int_member_visit_days') }}, {{ ref('int_member_states') }}, {{ ref('fct_order_items') }}
-- depends_on: {{ ref('int_orders_valued') }}, {{ ref('fct_member_activity_history') }}
-- depends_on: {{ ref('int_member_tier_states') }}, {{ ref('fct_member_points_ledger') }}
-- depends_on: {{ ref('int_member_rfm_scored') }}, {{ ref('int_member_tier_periods') }}, {{ ref('fct_order_tiers') }}
-- depends_on: {{ ref('int_member_lifecycle_snapshots') }}, {{ ref('int_member_lifecycle_stage_runs') }}
-- depends_on: {{ ref('fct_member_category_preferences') }}
-- depends_on: {{ ref('fct_member_purchase_profile') }}, {{ ref('fct_audience_item_purchase_days') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    post_hook="{{ member_analytics.warn_late_changes() }}",
) }}
{%- set previous = member_analytics.incremental_previous_run() if is_incremental() else none %}
{%- set state = member_analytics.incremental_state(previous) if is_incremental() else none %}
{%- set builds_on_previous = state is not none and member_analytics.incremental_materialization() == 'incremental' %}
{%- set unbuilt = [] %}
{%- for name in member_analytics.member_keyed_models() if execute and 'model.member_analytics.' ~ name not in selected_resources %}
    {%- do unbuilt.append(name) %}
{%- endfor %}
{%- set member_keyed_built = unbuilt | length == 0 %}
{%- if not member_keyed_built %}
    {% do exceptions.warn(
        "member_analytics: " ~ unbuilt | join(', ') ~ " not in this build's selection, so audit.rpt_incremental_runs keeps"
        ~ " its last row (the next daily run starts from the dates the member-keyed models were last built for,"
        ~ " and recomputes every member changed since)") %}
{%- endif %}

with

-- fct_orders reads this model's previous row, so it must be built first
built_orders as (
    select count(*) as number_of_orders from {{ ref('fct_orders') }}
),

changed_orders as (
    select * from {{ ref('int_incremental_changed_orders') }}
),

changes as (
    select
        count(*) as number_of_changed_orders,
        count(
            case
                when changed_orders.first_ordered_date < {{ dbt.dateadd(
                    'day', '-' ~ member_analytics.validated_number('member_analytics__incremental__lookback_days'),
                    member_analytics.as_of_date()) }}
                    then 1
            end
        ) as number_of_late_changes,
        (select count(*) from {{ ref('int_incremental_changed_members') }}) as number_of_changed_members
    from changed_orders
),

final as (
    select
        cast({{ (previous.build_number + 1) if previous is not none else 1 }} as bigint) as build_number,
        '{{ member_analytics.incremental_vars_fingerprint() }}' as vars_fingerprint,
        cast({{ 'changes.number_of_changed_orders' if state is not none else 'null' }} as bigint) as number_of_changed_orders,
        cast({{ 'changes.number_of_changed_members' if state is not none else 'null' }} as bigint) as number_of_changed_members,
        cast({{ 'changes.number_of_late_changes' if state is not none else 'null' }} as bigint) as number_of_late_changes,
        cast(built_orders.number_of_orders as bigint) as number_of_orders,
        cast({{ member_analytics.validated_number('member_analytics__incremental__lookback_days') }} as int) as lookback_days,
        {{ 'true' if builds_on_previous else 'false' }} as is_incremental_build,
        {{ member_analytics.as_of_date() }} as as_of_date,
        {{ member_analytics.latest_valid_date() }} as latest_valid_date
    from changes
    cross join built_orders
    {%- if not member_keyed_built %}
        where false
    {%- endif %}
)

select * from final
