-- One row per points movement of a shop's member up to as_of_date, in the
-- order they happened: purchase points earned and reversed by refunds, points
-- events (once per request_id), and the balance cleared when the membership
-- lapses; with the applied points, any shortfall and the running balance,
-- which never goes negative (docs/decisions/0031).
-- Incremental by member on DuckDB (docs/decisions/0121): a daily run deletes and
-- recomputes from their whole history the movements of the changed members, of
-- those whose lapse the moving as_of_date crosses, and of the members sharing a
-- points request with one of them (points_ledger_members).
-- depends_on: {{ ref('int_incremental_changed_members') }}, {{ ref('int_as_of_date') }}
{{ config(**member_analytics.member_keyed_config('delete_points_movements()')) }}
{%- set state = member_analytics.member_keyed_state(['members', 'points_events']) if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(state) %}
{%- set multiplier = member_analytics.validated_number('member_analytics__points__birthday_multiplier') %}
with
{%- if state %}

-- a daily run: the members whose movements are recomputed
ledger_members as (
    {{ member_analytics.points_ledger_members(state) }}
),
{%- endif %}

orders as (
    select orders.* from {{ ref('fct_orders') }} as orders
    where {{ member_analytics.is_ledger_member(state, 'orders') }}
),

members as (
    select members.* from {{ ref('dim_members') }} as members
    where {{ member_analytics.is_ledger_member(state, 'members') }}
),

-- every row of a request one of the members made: its first row wins, whichever
-- member it names
points_events as (
    select points_events.* from {{ ref('stg_shop__points_events') }} as points_events
    where
        points_events.row_status = 'kept'
        and {{ member_analytics.is_ledger_request(state, 'points_events') }}
),

lapses as (
    select distinct
        states.shop_id,
        states.member_id,
        states.term_end_date as lapse_date
    from {{ ref('int_member_tier_states') }} as states
    where states.term_end_date is not null and {{ member_analytics.is_ledger_member(state, 'states') }}
),

-- as_of_date written where it is used (the macro), not cross-joined from a one-row
-- CTE: with that join in the plan, a daily run's query built the ledger members'
-- filter hash table on every order instead of on the members (docs/decisions/0138)
purchases as (
    select
        orders.shop_id,
        orders.member_id,
        orders.order_id,
        orders.ordered_date,
        orders.ordered_at,
        orders.gross_amount,
        {{ member_analytics.refund_as_of_columns('orders', member_analytics.as_of_date()) }},
        greatest(coalesce(orders.refunded_at, orders.updated_at, orders.ordered_at), orders.ordered_at) as refunded_at,
        coalesce(members.birth_month = month(orders.ordered_date), false) as is_birthday_month
    from orders
    left join members
        on
            orders.shop_id = members.shop_id
            and orders.member_id = members.member_id
    where
        orders.ordered_date <= {{ member_analytics.as_of_date() }}
        and orders.gross_amount > 0
        and {{ member_analytics.is_counting_order('orders.status', 'orders.gross_amount') }}
),

purchase_points as (
    select
        *,
        case when is_birthday_month then {{ multiplier }} else 1 end as multiplier
    from purchases
),

earned_points as (
    select
        *,
        {{ member_analytics.purchase_points('gross_amount', 'multiplier') }} as earned_points,
        {{ member_analytics.purchase_points('(gross_amount - refund_amount)', 'multiplier') }} as net_points
    from purchase_points
),

requests as (
    select
        points_events.*,
        -- a row without request_id is a request of its own
        case
            when points_events.request_id is null then 1
            else row_number() over (
                partition by points_events.shop_id, points_events.request_id
                order by points_events.occurred_at, points_events.source_record
            )
        end as request_row_number,
        case
            when points_events.request_id is null then 1
            else count(*) over (partition by points_events.shop_id, points_events.request_id)
        end as request_rows
    from points_events
    where cast(points_events.occurred_at as date) <= {{ member_analytics.as_of_date() }}
),

movements as (
    select
        shop_id,
        member_id,
        ordered_date as movement_date,
        ordered_at as occurred_at,
        0 as is_expiry,
        1 as type_order,
        'purchase_earned' as movement_type,
        'purchase' as reason,
        order_id,
        cast(null as string) as request_id,
        is_birthday_month,
        cast(earned_points as bigint) as requested_points,
        cast(0 as bigint) as duplicate_request_rows
    from earned_points
    where earned_points > 0

    union all

    select
        shop_id,
        member_id,
        refund_date as movement_date,
        refunded_at as occurred_at,
        0 as is_expiry,
        2 as type_order,
        'purchase_reversed' as movement_type,
        'refund' as reason,
        order_id,
        cast(null as string) as request_id,
        is_birthday_month,
        cast(net_points - earned_points as bigint) as requested_points,
        cast(0 as bigint) as duplicate_request_rows
    from earned_points
    where refund_date is not null and net_points < earned_points

    union all

    select
        shop_id,
        member_id,
        cast(occurred_at as date) as movement_date,
        occurred_at,
        0 as is_expiry,
        case when points > 0 then 3 else 4 end as type_order,
        case when points > 0 then 'event_earned' else 'event_spent' end as movement_type,
        reason,
        cast(null as string) as order_id,
        request_id,
        false as is_birthday_month,
        cast(points as bigint) as requested_points,
        cast(request_rows - 1 as bigint) as duplicate_request_rows
    from requests
    where request_row_number = 1

    union all

    select
        shop_id,
        member_id,
        lapse_date as movement_date,
        cast(null as timestamp) as occurred_at,
        1 as is_expiry,
        5 as type_order,
        'lapse_expired' as movement_type,
        'lapse' as reason,
        cast(null as string) as order_id,
        cast(null as string) as request_id,
        false as is_birthday_month,
        cast(0 as bigint) as requested_points,
        cast(0 as bigint) as duplicate_request_rows
    from lapses
),

-- Segments run from one expiry to the next: each starts at a zero balance.
-- The segment number (the expiries before a movement) and the member's
-- cumulative requested points are windows on the same partition and order as
-- the sequence, so all three come from one sort (docs/decisions/0112).
sequenced as (
    select
        *,
        row_number() over (
            partition by shop_id, member_id
            order by
                movement_date, is_expiry, occurred_at, type_order,
                coalesce(order_id, request_id, ''), requested_points, reason
        ) as raw_sequence,
        coalesce(sum(is_expiry) over (
            partition by shop_id, member_id
            order by
                movement_date, is_expiry, occurred_at, type_order,
                coalesce(order_id, request_id, ''), requested_points, reason
            rows between unbounded preceding and 1 preceding
        ), 0) as segment_number,
        sum(requested_points) over (
            partition by shop_id, member_id
            order by
                movement_date, is_expiry, occurred_at, type_order,
                coalesce(order_id, request_id, ''), requested_points, reason
            rows between unbounded preceding and current row
        ) as cumulative_points
    from movements
),

-- Within a segment, the running sum S of the requested points is the member's
-- cumulative points C less C at the segment's start, and the balance clamped at
-- zero is, in closed form, S - min(0, running min of S): the running min of S
-- is the running min of C less the same start. So the balance after a movement
-- and the balance before it (its predecessor's) are windows of C on one sort of
-- the segment, not a sum, then a min, then a lag, each sorted again.
segment_windows as (
    select
        *,
        first_value(cumulative_points - requested_points) over (
            partition by shop_id, member_id, segment_number
            order by raw_sequence
            rows between unbounded preceding and current row
        ) as segment_start_points,
        min(cumulative_points) over (
            partition by shop_id, member_id, segment_number
            order by raw_sequence
            rows between unbounded preceding and current row
        ) as lowest_cumulative_points,
        lag(cumulative_points) over (
            partition by shop_id, member_id, segment_number
            order by raw_sequence
        ) as previous_cumulative_points,
        min(cumulative_points) over (
            partition by shop_id, member_id, segment_number
            order by raw_sequence
            rows between unbounded preceding and 1 preceding
        ) as previous_lowest_cumulative_points
    from sequenced
),

balances as (
    select
        *,
        (cumulative_points - segment_start_points)
        - least(cast(0 as bigint), lowest_cumulative_points - segment_start_points) as balance_before_expiry,
        -- null for a segment's first movement, whose balance before is zero
        (previous_cumulative_points - segment_start_points)
        - least(cast(0 as bigint), previous_lowest_cumulative_points - segment_start_points) as previous_balance
    from segment_windows
),

applied as (
    select
        *,
        balance_before_expiry - coalesce(previous_balance, 0) as applied_points
    from balances
),

resolved as (
    select
        shop_id,
        member_id,
        raw_sequence,
        movement_date,
        occurred_at,
        movement_type,
        reason,
        order_id,
        request_id,
        is_birthday_month,
        duplicate_request_rows,
        case when is_expiry = 1 then -balance_before_expiry else requested_points end as requested_points,
        case when is_expiry = 1 then -balance_before_expiry else applied_points end as points,
        case when is_expiry = 1 then 0 else applied_points - requested_points end as shortfall_points,
        case when is_expiry = 1 then 0 else balance_before_expiry end as balance_after
    from applied
    where is_expiry = 0 or balance_before_expiry > 0
),

final as (
    select
        shop_id,
        member_id,
        cast(row_number() over (partition by shop_id, member_id order by raw_sequence) as int) as movement_sequence,
        movement_date,
        occurred_at,
        movement_type,
        reason,
        order_id,
        request_id,
        is_birthday_month,
        cast(requested_points as bigint) as requested_points,
        cast(points as bigint) as points,
        cast(shortfall_points as bigint) as shortfall_points,
        case when shortfall_points > 0 then 'insufficient_balance' end as shortfall_reason,
        cast(balance_after as bigint) as balance_after,
        duplicate_request_rows
    from resolved
    -- a daily run: not the rows of members who only share a request with them
    where {{ member_analytics.is_ledger_member(state, 'resolved') }}
)

select * from final
