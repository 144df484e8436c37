-- fct_member_lifecycle's stage_entered_date is the first day of the member's
-- last unbroken run in the current stage, evaluated on every candidate day by
-- int_member_lifecycle_stage_runs, apart from the snapshots (docs/decisions/0136).
-- The history must agree: every snapshot on or after that day shows the current
-- stage (docs/decisions/0125).
with

current_stages as (
    select * from {{ ref('fct_member_lifecycle') }}
    where stage_entered_date is not null
),

history as (
    select * from {{ ref('fct_member_lifecycle_history') }}
)

select
    history.shop_id,
    history.member_id,
    history.snapshot_date,
    history.lifecycle_stage,
    current_stages.lifecycle_stage as current_stage,
    current_stages.stage_entered_date
from history
inner join current_stages
    on
        history.shop_id = current_stages.shop_id
        and history.member_id = current_stages.member_id
where
    history.snapshot_date >= current_stages.stage_entered_date
    and history.lifecycle_stage <> current_stages.lifecycle_stage
