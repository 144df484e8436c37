-- One row per shop, member and snapshot date at which the member's lifecycle
-- stage differs from their previous snapshot in fct_member_lifecycle_history,
-- and one row at the member's first snapshot (previous_stage null): the log
-- from which every snapshot's stage can be read (the stage of the member's
-- last change on or before it). change_type names the move (docs/decisions/0125),
-- first match wins:
--   first_seen      (none) -> registered
--   first_interest  -> potential
--   came_back       sleeping -> repeat or loyal
--   became_loyal    -> loyal from any other stage
--   left_loyal      loyal -> repeat (or new / sleeping when loyal needs one purchase day)
--   became_repeat   -> repeat from new, potential, registered or (none)
--   fell_asleep     new -> sleeping
--   first_purchase  -> new (or sleeping) from potential, registered or (none)
with

history as (
    select * from {{ ref('fct_member_lifecycle_history') }}
),

sequenced as (
    select
        shop_id,
        member_id,
        lifecycle_stage,
        previous_lifecycle_stage as previous_stage,
        stage_order,
        previous_stage_order,
        number_of_purchase_days,
        purchase_days_in_loyal_window,
        snapshot_date,
        previous_snapshot_date
    from history
),

changes as (
    select
        *,
        case
            when lifecycle_stage = 'registered' then 'first_seen'
            when lifecycle_stage = 'potential' then 'first_interest'
            when previous_stage = 'sleeping' and lifecycle_stage in ('repeat', 'loyal') then 'came_back'
            when lifecycle_stage = 'loyal' then 'became_loyal'
            when previous_stage = 'loyal' then 'left_loyal'
            when lifecycle_stage = 'repeat' then 'became_repeat'
            when previous_stage = 'new' and lifecycle_stage = 'sleeping' then 'fell_asleep'
            else 'first_purchase'
        end as change_type
    from sequenced
    where
        previous_snapshot_date is null
        or previous_stage <> lifecycle_stage
),

final as (
    select
        shop_id,
        member_id,
        change_type,
        previous_stage,
        lifecycle_stage,
        concat(coalesce(previous_stage, 'none'), ' -> ', lifecycle_stage) as transition,
        cast(previous_stage_order as int) as previous_stage_order,
        cast(stage_order as int) as stage_order,
        cast(number_of_purchase_days as bigint) as number_of_purchase_days,
        cast(purchase_days_in_loyal_window as bigint) as purchase_days_in_loyal_window,
        change_type in ('fell_asleep', 'left_loyal') as is_downgrade,
        previous_snapshot_date is null as is_first_snapshot,
        snapshot_date,
        previous_snapshot_date
    from changes
)

select * from final
