-- One row per shop, member and snapshot date at which the member's activity
-- level fell below their level at the previous snapshot (excited → active,
-- active → inert, …; ranks from the seed activity_levels; not_yet_visited →
-- dormant is not a fall): the list staff use to reach out (docs/decisions/0040).
with

history as (
    select * from {{ ref('fct_member_activity_history') }}
),

compared as (
    select
        *,
        lag(snapshot_date) over (partition by shop_id, member_id order by snapshot_date) as previous_snapshot_date,
        lag(activity_level) over (partition by shop_id, member_id order by snapshot_date) as previous_activity_level,
        lag(activity_level_rank) over (partition by shop_id, member_id order by snapshot_date)
            as previous_activity_level_rank
    from history
),

final as (
    select
        shop_id,
        member_id,
        snapshot_date,
        previous_snapshot_date,
        previous_activity_level as from_activity_level,
        activity_level as to_activity_level,
        cast(previous_activity_level_rank - activity_level_rank as int) as levels_fallen,
        concat(previous_activity_level, ' -> ', activity_level) as transition,
        days_since_last_visit,
        last_visit_date
    from compared
    where activity_level_rank < previous_activity_level_rank
)

select * from final
