-- One row per shop, snapshot (every month end and as_of_date) and rung of
-- the loyalty ladder (1 = one valid purchase ... 5 = five or more): the
-- members on the rung and their cumulative net revenue, and the moves since
-- the previous snapshot: members who joined the ladder on this rung, moved
-- up into it, stayed, moved down into it (refunds), and of the members on
-- the rung at the previous snapshot, how many moved up. Read from
-- fct_member_rfm_history, so it follows the same purchase and refund rules.
{%- set top_step = member_analytics.validated_number('member_analytics__rfm__loyalty_ladder_top_step') | int %}
{%- if top_step < 2 or top_step > 10 %}
    {{ exceptions.raise_compiler_error(
        "member_analytics: var member_analytics__rfm__loyalty_ladder_top_step must be 2 to 10, got " ~ top_step) }}
{%- endif %}

with

history as (
    select * from {{ ref('fct_member_rfm_history') }}
),

months as (
    select * from {{ ref('int_months_spined') }}
),

rungs as (
    select 1 as loyalty_ladder_step
    union all
    select 2 as loyalty_ladder_step
    union all
    select 3 as loyalty_ladder_step
    union all
    select 4 as loyalty_ladder_step
    union all
    select 5 as loyalty_ladder_step
    union all
    select 6 as loyalty_ladder_step
    union all
    select 7 as loyalty_ladder_step
    union all
    select 8 as loyalty_ladder_step
    union all
    select 9 as loyalty_ladder_step
    union all
    select 10 as loyalty_ladder_step
),

steps as (
    select * from rungs
    where loyalty_ladder_step <= {{ top_step }}
),

snapshots as (
    select
        snapshot_date,
        lag(snapshot_date) over (order by snapshot_date) as previous_snapshot_date
    from months
),

shop_starts as (
    select
        shop_id,
        min(snapshot_date) as first_snapshot_date
    from history
    group by shop_id
),

member_moves as (
    select
        history.shop_id,
        history.member_id,
        history.snapshot_date,
        history.loyalty_ladder_step,
        history.monetary,
        previous.loyalty_ladder_step as previous_step,
        coalesce(previous.monetary, cast(0 as decimal(18, 2))) as previous_monetary
    from history
    inner join snapshots
        on history.snapshot_date = snapshots.snapshot_date
    left join history as previous
        on
            history.shop_id = previous.shop_id
            and history.member_id = previous.member_id
            and snapshots.previous_snapshot_date = previous.snapshot_date
),

on_rung as (
    select
        shop_id,
        snapshot_date,
        loyalty_ladder_step,
        count(*) as members,
        sum(monetary) as net_revenue,
        sum(monetary - previous_monetary) as net_revenue_in_period,
        sum(case when previous_step is null then 1 else 0 end) as members_joined,
        sum(case when previous_step < loyalty_ladder_step then 1 else 0 end) as members_moved_up_into,
        sum(case when previous_step = loyalty_ladder_step then 1 else 0 end) as members_stayed,
        sum(case when previous_step > loyalty_ladder_step then 1 else 0 end) as members_moved_down_into
    from member_moves
    group by shop_id, snapshot_date, loyalty_ladder_step
),

moved_up_from as (
    select
        shop_id,
        snapshot_date,
        previous_step as loyalty_ladder_step,
        count(*) as members_moved_up_from
    from member_moves
    where loyalty_ladder_step > previous_step
    group by shop_id, snapshot_date, previous_step
),

grid as (
    select
        shop_starts.shop_id,
        snapshots.snapshot_date,
        snapshots.previous_snapshot_date,
        steps.loyalty_ladder_step
    from shop_starts
    inner join snapshots
        on shop_starts.first_snapshot_date <= snapshots.snapshot_date
    cross join steps
),

filled as (
    select
        grid.shop_id,
        grid.loyalty_ladder_step,
        coalesce(on_rung.members, 0) as members,
        coalesce(on_rung.net_revenue, cast(0 as decimal(18, 2))) as net_revenue,
        coalesce(on_rung.net_revenue_in_period, cast(0 as decimal(18, 2))) as net_revenue_in_period,
        coalesce(on_rung.members_joined, 0) as members_joined,
        coalesce(on_rung.members_moved_up_into, 0) as members_moved_up_into,
        coalesce(on_rung.members_stayed, 0) as members_stayed,
        coalesce(on_rung.members_moved_down_into, 0) as members_moved_down_into,
        coalesce(moved_up_from.members_moved_up_from, 0) as members_moved_up_from,
        lag(coalesce(on_rung.members, 0)) over (
            partition by grid.shop_id, grid.loyalty_ladder_step
            order by grid.snapshot_date
        ) as members_at_previous_snapshot,
        grid.snapshot_date,
        grid.previous_snapshot_date
    from grid
    left join on_rung
        on
            grid.shop_id = on_rung.shop_id
            and grid.snapshot_date = on_rung.snapshot_date
            and grid.loyalty_ladder_step = on_rung.loyalty_ladder_step
    left join moved_up_from
        on
            grid.shop_id = moved_up_from.shop_id
            and grid.snapshot_date = moved_up_from.snapshot_date
            and grid.loyalty_ladder_step = moved_up_from.loyalty_ladder_step
),

final as (
    select
        shop_id,
        cast(loyalty_ladder_step as int) as loyalty_ladder_step,
        cast(members as bigint) as members,
        cast(net_revenue as decimal(38, 2)) as net_revenue,
        cast(net_revenue_in_period as decimal(38, 2)) as net_revenue_in_period,
        cast(members_at_previous_snapshot as bigint) as members_at_previous_snapshot,
        cast(members_joined as bigint) as members_joined,
        cast(members_moved_up_into as bigint) as members_moved_up_into,
        cast(members_stayed as bigint) as members_stayed,
        cast(members_moved_down_into as bigint) as members_moved_down_into,
        cast(members_moved_up_from as bigint) as members_moved_up_from,
        case
            when members_at_previous_snapshot > 0
                then cast(members_moved_up_from as double) / members_at_previous_snapshot
        end as step_up_rate,
        snapshot_date,
        previous_snapshot_date
    from filled
)

select * from final
