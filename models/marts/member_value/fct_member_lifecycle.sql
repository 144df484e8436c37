-- One row per shop and member of dim_members: the lifecycle stage as of
-- as_of_date, the rule that placed the member there, the date they entered
-- it, and the stage's action (seed lifecycle_stage_actions). Buyers are
-- staged by purchase days (docs/decisions/0012): loyal (enough purchase days
-- in the trailing loyal window), repeat (two or more), new (one, within the
-- new-buyer window), sleeping (one, longer ago). Non-buyers: potential
-- (favourited or carted), else registered.
--
-- The stage and its counts are the member's as_of_date row of
-- int_member_lifecycle_snapshots (the same rule at every snapshot, computed
-- once). The entry date is exact: a buyer entered the current stage on the
-- start of the stage run holding as_of_date (int_member_lifecycle_stage_runs:
-- a stage changes only on a purchase day, the day a purchase leaves the loyal
-- window, or the day the new-buyer window ends); a potential member on their
-- first favourite or cart, a registered member on the day first seen. The
-- last purchase day is the member state's (int_member_states at as_of_date).
-- Every input is member-keyed and holds every member's as_of_date row, so this
-- mart only joins them (docs/decisions/0136).

with

members as (
    select * from {{ ref('dim_members') }}
),

snapshots as (
    select * from {{ ref('int_member_lifecycle_snapshots') }}
    where snapshot_date = {{ member_analytics.as_of_date() }}
),

stage_runs as (
    select * from {{ ref('int_member_lifecycle_stage_runs') }}
    where
        run_start_date <= {{ member_analytics.as_of_date() }}
        and (next_run_start_date is null or next_run_start_date > {{ member_analytics.as_of_date() }})
),

member_states as (
    select * from {{ ref('int_member_states') }}
    where is_as_of_date
),

stage_actions as (
    select * from {{ ref('lifecycle_stage_actions') }}
),

final as (
    select
        members.shop_id,
        members.member_id,
        snapshots.lifecycle_stage,
        snapshots.stage_rule,
        stage_actions.description as stage_description,
        stage_actions.suggested_action,
        snapshots.stage_order,
        snapshots.number_of_purchase_days,
        snapshots.purchase_days_in_loyal_window,
        snapshots.has_favorite_or_cart,
        {{ member_analytics.as_of_date() }} as as_of_date,
        case
            when snapshots.number_of_purchase_days > 0 then stage_runs.run_start_date
            when snapshots.has_favorite_or_cart then snapshots.first_favorite_or_cart_date
            when members.first_seen_date <= {{ member_analytics.as_of_date() }} then members.first_seen_date
        end as stage_entered_date,
        snapshots.first_purchase_date,
        member_states.last_purchase_date,
        snapshots.first_favorite_or_cart_date
    from members
    left join snapshots
        on
            members.shop_id = snapshots.shop_id
            and members.member_id = snapshots.member_id
    left join stage_runs
        on
            members.shop_id = stage_runs.shop_id
            and members.member_id = stage_runs.member_id
    left join member_states
        on
            members.shop_id = member_states.shop_id
            and members.member_id = member_states.member_id
    left join stage_actions
        on snapshots.lifecycle_stage = stage_actions.lifecycle_stage
)

select * from final
