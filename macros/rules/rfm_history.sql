{#- The RFM history stored by snapshot (docs/decisions/0111, 0120); described in _rules__macros.yml. -#}

{#- The CTEs of RFM's month-end route, ending in members_at_month_ends (one row per shop,
    member and month end with a valid purchase: frequency, purchase days, monetary, first
    and last purchase date): over the CTEs orders_for_month_ends (valued orders, none after
    as_of_date) and month_end_snapshots (int_months_spined's month ends with their
    snapshot_month_number), which the caller defines. -#}
{% macro rfm_month_end_ctes() -%}
    order_months as (
        select
            shop_id,
            member_id,
            status,
            gross_amount,
            refund_amount,
            ordered_date,
            {{ member_analytics.month_number('ordered_date') }} as ordered_month_number,
            case
                when refund_date is not null
                    then greatest(
                        {{ member_analytics.month_number('refund_date') }},
                        {{ member_analytics.month_number('ordered_date') }}
                    )
            end as refund_month_number
        from orders_for_month_ends
    ),

    -- the intervals in which an order is a valid purchase, with its net amount
    purchase_intervals as (
        select
            shop_id,
            member_id,
            gross_amount as net_amount,
            ordered_date,
            ordered_month_number as start_month_number,
            refund_month_number as end_month_number
        from order_months
        where
            {{ member_analytics.is_valid_purchase('status', 'gross_amount', 'cast(0 as decimal(18, 2))') }}
            and (refund_month_number is null or refund_month_number > ordered_month_number)

        union all

        select
            shop_id,
            member_id,
            gross_amount - refund_amount as net_amount,
            ordered_date,
            refund_month_number as start_month_number,
            cast(null as int) as end_month_number
        from order_months
        where
            refund_month_number is not null
            and {{ member_analytics.is_valid_purchase('status', 'gross_amount', 'refund_amount') }}
    ),

    purchase_changes as (
        select
            shop_id,
            member_id,
            ordered_date,
            start_month_number as month_number,
            1 as count_change,
            net_amount as net_amount_change
        from purchase_intervals

        union all

        select
            shop_id,
            member_id,
            ordered_date,
            end_month_number as month_number,
            -1 as count_change,
            -net_amount as net_amount_change
        from purchase_intervals
        where end_month_number is not null
    ),

    -- A purchase day counts while at least one of its orders is a valid purchase.
    day_changes as (
        select
            shop_id,
            member_id,
            ordered_date,
            month_number,
            sum(count_change) as count_change
        from purchase_changes
        group by shop_id, member_id, ordered_date, month_number
    ),

    day_counts as (
        select
            *,
            sum(count_change) over (
                partition by shop_id, member_id, ordered_date
                order by month_number
                rows between unbounded preceding and current row
            ) as valid_orders
        from day_changes
    ),

    day_transitions as (
        select
            shop_id,
            member_id,
            ordered_date,
            month_number,
            case when valid_orders > 0 then 1 else 0 end
            - case when valid_orders - count_change > 0 then 1 else 0 end as day_change
        from day_counts
    ),

    -- the runs of months in which a day counts: [start, end), end null when open
    day_runs as (
        select
            shop_id,
            member_id,
            ordered_date,
            day_change,
            month_number as start_month_number,
            lead(month_number) over (
                partition by shop_id, member_id, ordered_date
                order by month_number
            ) as end_month_number
        from day_transitions
        where day_change <> 0
    ),

    monthly_changes as (
        select
            shop_id,
            member_id,
            month_number,
            sum(count_change) as count_change,
            sum(net_amount_change) as net_amount_change,
            sum(day_change) as day_change,
            min(open_day) as first_open_day,
            max(open_day) as last_open_day
        from (
            select
                shop_id,
                member_id,
                month_number,
                count_change,
                net_amount_change,
                0 as day_change,
                cast(null as date) as open_day
            from purchase_changes

            union all

            select
                shop_id,
                member_id,
                month_number,
                0 as count_change,
                cast(0 as decimal(18, 2)) as net_amount_change,
                day_change,
                cast(null as date) as open_day
            from day_transitions
            where day_change <> 0

            union all

            select
                shop_id,
                member_id,
                start_month_number as month_number,
                0 as count_change,
                cast(0 as decimal(18, 2)) as net_amount_change,
                0 as day_change,
                ordered_date as open_day
            from day_runs
            where day_change = 1 and end_month_number is null
        ) as changes
        group by shop_id, member_id, month_number
    ),

    -- a day whose run ends (all its orders refunded away) counts at the month
    -- ends of its run only
    closed_run_days as (
        select
            day_runs.shop_id,
            day_runs.member_id,
            month_end_snapshots.snapshot_month_number as month_number,
            min(day_runs.ordered_date) as first_closed_day,
            max(day_runs.ordered_date) as last_closed_day
        from day_runs
        inner join month_end_snapshots
            on
                day_runs.start_month_number <= month_end_snapshots.snapshot_month_number
                and day_runs.end_month_number > month_end_snapshots.snapshot_month_number
        where day_runs.day_change = 1
        group by day_runs.shop_id, day_runs.member_id, month_end_snapshots.snapshot_month_number
    ),

    -- The running measures at each month with a change; they hold until the
    -- member's next change (next_change_month_number).
    accumulated as (
        select
            shop_id,
            member_id,
            month_number,
            sum(count_change) over (
                partition by shop_id, member_id
                order by month_number
                rows between unbounded preceding and current row
            ) as frequency,
            sum(day_change) over (
                partition by shop_id, member_id
                order by month_number
                rows between unbounded preceding and current row
            ) as purchase_days,
            sum(net_amount_change) over (
                partition by shop_id, member_id
                order by month_number
                rows between unbounded preceding and current row
            ) as monetary,
            min(first_open_day) over (
                partition by shop_id, member_id
                order by month_number
                rows between unbounded preceding and current row
            ) as first_open_day,
            max(last_open_day) over (
                partition by shop_id, member_id
                order by month_number
                rows between unbounded preceding and current row
            ) as last_open_day,
            lead(month_number) over (
                partition by shop_id, member_id
                order by month_number
            ) as next_change_month_number
        from monthly_changes
    ),

    -- each month end takes the running measures of the member's latest change on
    -- or before it (no month number reaches the sentinel 2147483647)
    accumulated_at_month_ends as (
        select
            accumulated.shop_id,
            accumulated.member_id,
            month_end_snapshots.snapshot_month_number as month_number,
            month_end_snapshots.snapshot_date,
            month_end_snapshots.is_partial_month,
            month_end_snapshots.as_of_date,
            accumulated.frequency,
            accumulated.purchase_days,
            accumulated.monetary,
            accumulated.first_open_day,
            accumulated.last_open_day
        from accumulated
        inner join month_end_snapshots
            on
                accumulated.month_number <= month_end_snapshots.snapshot_month_number
                and coalesce(accumulated.next_change_month_number, 2147483647) > month_end_snapshots.snapshot_month_number
        where accumulated.frequency > 0
    ),

    members_at_month_ends as (
        select
            accumulated_at_month_ends.shop_id,
            accumulated_at_month_ends.member_id,
            accumulated_at_month_ends.snapshot_date,
            accumulated_at_month_ends.is_partial_month,
            false as is_as_of_date_snapshot,
            accumulated_at_month_ends.as_of_date,
            cast(accumulated_at_month_ends.frequency as bigint) as frequency,
            cast(accumulated_at_month_ends.purchase_days as bigint) as purchase_days,
            accumulated_at_month_ends.monetary,
            coalesce(
                case
                    when accumulated_at_month_ends.first_open_day <= closed_run_days.first_closed_day
                        then accumulated_at_month_ends.first_open_day
                    else closed_run_days.first_closed_day
                end,
                accumulated_at_month_ends.first_open_day
            ) as first_purchase_date,
            coalesce(
                case
                    when accumulated_at_month_ends.last_open_day >= closed_run_days.last_closed_day
                        then accumulated_at_month_ends.last_open_day
                    else closed_run_days.last_closed_day
                end,
                accumulated_at_month_ends.last_open_day
            ) as last_purchase_date
        from accumulated_at_month_ends
        left join closed_run_days
            on
                accumulated_at_month_ends.shop_id = closed_run_days.shop_id
                and accumulated_at_month_ends.member_id = closed_run_days.member_id
                and accumulated_at_month_ends.month_number = closed_run_days.month_number
    )
{%- endmacro %}


{#- What int_member_rfm_scored rescores in a daily run (a dict: state, cutoff: the SQL of
    the earliest month end every member is scored at again), or none for all of it (no
    state: first build, full refresh, other rules or code). The cutoff is the earliest of
    the month ends at which a changed member's measures differ from the stored ones (their
    orders recomputed by the month-end route, compared both ways) and the month ends not
    stored yet; as_of_date when there is none (month_ends false): then only the as_of_date
    snapshot is scored again. Scores are shop-relative, so a changed member's month end rescores every member
    there (issue 28). -#}
{% macro rfm_history_scope() %}
    {% if not execute %}
        {{ return(none) }}
    {% endif %}
    {% set state = member_analytics.incremental_state() %}
    {% if state is none %}
        {{ return(none) }}
    {% endif %}
    {% set measures = 'shop_id, member_id, snapshot_date, frequency, purchase_days, monetary, first_purchase_date, last_purchase_date' %}
    {% set query %}
        with

        orders_for_month_ends as (
            select * from {{ ref('int_orders_valued') }} as orders
            where not orders.is_after_as_of_date and {{ member_analytics.is_changed_member(state, 'orders') }}
        ),

        month_end_snapshots as (
            select
                *,
                {{ member_analytics.month_number('snapshot_date') }} as snapshot_month_number
            from {{ ref('int_months_spined') }}
            where snapshot_date < as_of_date
        ),

        {{ member_analytics.rfm_month_end_ctes() }},

        stored as (
            select * from {{ this }} as stored
            where not stored.is_as_of_date_snapshot and {{ member_analytics.is_changed_member(state, 'stored') }}
        ),

        differences as (
            select snapshot_date from (
                select {{ measures }} from members_at_month_ends
                except all
                select {{ measures }} from stored
            ) as computed_not_stored
            union all
            select snapshot_date from (
                select {{ measures }} from stored
                except all
                select {{ measures }} from members_at_month_ends
            ) as stored_not_computed
        ),

        month_ends_not_stored as (
            select snapshot_date from month_end_snapshots
            where snapshot_date > (
                select coalesce(max(snapshot_date), cast('1900-01-01' as date)) from {{ this }}
                where not is_as_of_date_snapshot
            )
        )

        select cast(min(snapshot_date) as {{ dbt.type_string() }}) from (
            select snapshot_date from differences
            union all
            select snapshot_date from month_ends_not_stored
        ) as touched
    {% endset %}
    {% set cutoff = run_query(query).columns[0].values()[0] %}
    {{ return({'state': state, 'month_ends': cutoff is not none,
               'cutoff': member_analytics.as_of_date() if cutoff is none else "cast('" ~ cutoff ~ "' as date)"}) }}
{% endmacro %}


{#- pre-hook of int_member_rfm_scored: delete the snapshots a daily run scores again (the
    as_of_date one and the month ends from the cutoff on: rfm_history_scope), or every row. -#}
{% macro delete_rfm_snapshots() %}
    {{ return(member_analytics.delete_recomputed_rows(
        member_analytics.rfm_history_scope, [], member_analytics.is_rescored_rfm_snapshot, {},
        'scores the as_of_date snapshot and every month end from {cutoff} again')) }}
{% endmacro %}


{#- A filter: the snapshots rfm_history_scope scores again (and any on or after as_of_date:
    it moved back). -#}
{% macro is_rescored_rfm_snapshot(scope, relation_alias) -%}
    ({{ relation_alias }}.is_as_of_date_snapshot
        or {{ relation_alias }}.snapshot_date >= {{ scope.cutoff }}
        or {{ relation_alias }}.snapshot_date >= {{ member_analytics.as_of_date() }})
{%- endmacro %}
