-- One row per shop, member and day on which the member's purchase count, net
-- spend or programme status changed, evaluated at the end of that day
-- (docs/decisions/0030): the membership term, whether the member is in the
-- programme, and the cumulative count and net spend. Scheme-independent: the
-- tier marts band these measures with the seed tier_schemes.
-- Incremental by member on DuckDB (docs/decisions/0121): a daily run deletes the
-- rows of the changed members and of the members whose projected lapse falls
-- between the previous and the current as_of_date (a lapse shows from its day
-- on: time alone changes them), then appends every member absent from the table
-- recomputed from their whole history. No as_of_date column: the marts add it.
-- depends_on: {{ ref('int_incremental_changed_members') }}, {{ ref('int_as_of_date') }}
{{ config(**member_analytics.member_keyed_config('delete_tier_keyed_members(own_lapses=true)')) }}
{%- set state = member_analytics.incremental_state() if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(state) %}
{%- set restart = member_analytics.tier_counters_restart() %}
{%- set lapse_days = member_analytics.validated_number('member_analytics__tiers__lapse_days') %}
with

orders as (
    select orders.* from {{ ref('int_orders_valued') }} as orders
    {%- if state %}
    -- a daily run: the members the pre-hook deleted, and new ones
    where not exists (
        select 1 from {{ this }} as kept
        where kept.shop_id = orders.shop_id and kept.member_id = orders.member_id
    )
    {%- endif %}
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

counting_orders as (
    select
        orders.shop_id,
        orders.member_id,
        orders.order_id,
        orders.ordered_date,
        orders.gross_amount,
        {{ member_analytics.refund_as_of_columns('orders', 'as_of.as_of_date') }},
        cast({{ dbt.dateadd('day', lapse_days, 'orders.ordered_date') }} as date) as natural_end_date
    from orders
    cross join as_of
    where
        orders.ordered_date <= as_of.as_of_date
        and {{ member_analytics.is_counting_order('orders.status', 'orders.gross_amount') }}
),

-- An order keeps its member in the programme from its day until the lapse
-- length has passed or it is refunded in full, whichever comes first.
intervals as (
    select
        *,
        ordered_date as active_from,
        case
            when gross_amount > 0 and refund_amount >= gross_amount and refund_date < natural_end_date
                then refund_date
            else natural_end_date
        end as active_to,
        (gross_amount > 0 and refund_amount >= gross_amount) as is_full_refund
    from counting_orders
),

standing_intervals as (
    select
        *,
        max(active_to) over (
            partition by shop_id, member_id
            order by active_from, active_to, order_id
            rows between unbounded preceding and 1 preceding
        ) as previous_max_active_to
    from intervals
    where active_to > active_from
),

term_starts as (
    select
        *,
        case
            when previous_max_active_to is null or active_from > previous_max_active_to then 1
            else 0
        end as starts_term
    from standing_intervals
),

termed_orders as (
    select
        *,
        sum(starts_term) over (
            partition by shop_id, member_id
            order by active_from, active_to, order_id
            rows between unbounded preceding and current row
        ) as term_number
    from term_starts
),

-- A term ends on the first day outside every interval. It ends by refund when
-- a full refund that day took away an order that would otherwise still stand.
terms as (
    select
        shop_id,
        member_id,
        term_number,
        min(active_from) as term_start_date,
        max(active_to) as term_end_date,
        max(case when active_to < natural_end_date then active_to end) as latest_refund_end_date
    from termed_orders
    group by shop_id, member_id, term_number
),

term_ranges as (
    select
        terms.*,
        case
            when terms.latest_refund_end_date = terms.term_end_date then 'refund'
            else 'lapse'
        end as lapse_cause,
        lead(terms.term_start_date) over (
            partition by terms.shop_id, terms.member_id
            order by terms.term_number
        ) as next_term_start_date
    from terms
),

changes as (
    select
        shop_id,
        member_id,
        ordered_date as change_date,
        cast(1 as bigint) as count_change,
        gross_amount as spend_change
    from termed_orders

    union all

    select
        termed_orders.shop_id,
        termed_orders.member_id,
        termed_orders.refund_date as change_date,
        cast(case when termed_orders.is_full_refund then -1 else 0 end as bigint) as count_change,
        -termed_orders.refund_amount as spend_change
    from termed_orders
    inner join term_ranges
        on
            termed_orders.shop_id = term_ranges.shop_id
            and termed_orders.member_id = term_ranges.member_id
            and termed_orders.term_number = term_ranges.term_number
    where
        termed_orders.refund_date is not null
        -- restart: a refund after its term ended left with the lapse
        and ({{ (not restart) | lower }} or termed_orders.refund_date <= term_ranges.term_end_date)

    union all

    select
        term_ranges.shop_id,
        term_ranges.member_id,
        term_ranges.term_end_date as change_date,
        cast(0 as bigint) as count_change,
        cast(0 as decimal(18, 2)) as spend_change
    from term_ranges
    cross join as_of
    where term_ranges.term_end_date <= as_of.as_of_date
),

daily as (
    select
        shop_id,
        member_id,
        change_date,
        sum(count_change) as count_change,
        sum(spend_change) as spend_change
    from changes
    group by shop_id, member_id, change_date
),

located as (
    select
        daily.*,
        term_ranges.term_number,
        term_ranges.term_start_date,
        term_ranges.term_end_date,
        term_ranges.lapse_cause,
        daily.change_date < term_ranges.term_end_date as is_in_programme
    from daily
    inner join term_ranges
        on
            daily.shop_id = term_ranges.shop_id
            and daily.member_id = term_ranges.member_id
            and daily.change_date >= term_ranges.term_start_date
            and (term_ranges.next_term_start_date is null or daily.change_date < term_ranges.next_term_start_date)
),

accumulated as (
    select
        *,
        sum(count_change) over (
            partition by shop_id, member_id{{ ', term_number' if restart }}
            order by change_date
            rows between unbounded preceding and current row
        ) as cumulative_count,
        sum(spend_change) over (
            partition by shop_id, member_id{{ ', term_number' if restart }}
            order by change_date
            rows between unbounded preceding and current row
        ) as cumulative_net_spend
    from located
),

final as (
    select
        accumulated.shop_id,
        accumulated.member_id,
        accumulated.change_date as state_date,
        cast(accumulated.term_number as int) as term_number,
        accumulated.term_start_date,
        case
            when accumulated.term_end_date <= as_of.as_of_date then accumulated.term_end_date
        end as term_end_date,
        accumulated.term_end_date as projected_lapse_date,
        accumulated.lapse_cause,
        accumulated.is_in_programme,
        cast(accumulated.count_change as bigint) as count_change,
        cast(accumulated.spend_change as decimal(18, 2)) as spend_change,
        cast(accumulated.cumulative_count as bigint) as cumulative_count,
        cast(accumulated.cumulative_net_spend as decimal(38, 2)) as cumulative_net_spend
    from accumulated
    cross join as_of
)

select * from final
