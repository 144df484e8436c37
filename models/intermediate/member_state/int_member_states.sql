-- One row per shop, member of dim_members and evaluation date
-- (int_member_evaluation_dates) from the day the member was first seen (every
-- member on as_of_date): the member's state at the end of that date, measured
-- once for the current marts, the history and the audience facts
-- (docs/decisions/0040). Activity at every date; purchases at as_of_date and
-- the day before only (null at the other dates: nothing reads them there).
-- Every trailing window is `trailing_window_start(date, days) <= day <= date`.
-- Set-based: visit intervals, window days and orders are range-joined to the
-- few evaluation dates, never a member × day table.
-- Incremental on DuckDB (docs/decisions/0119, 0139): a daily run recomputes every
-- row of the changed members, and every member's rows at the new dates from the
-- state cutoff on (the earliest date a moving as_of_date, its day before or their
-- lookback days can reach: member_state_scope), the dates not stored before with
-- the rows and measures they need (on an ordinary day the new as_of_date and its
-- lookback date). The other rows stand, the recent ones taking their date's roles
-- (post-hook refresh_member_state_roles).
-- depends_on: {{ ref('int_incremental_changed_members') }}, {{ ref('int_as_of_date') }}
{{ config(**member_analytics.member_keyed_config('delete_member_states()', 'refresh_member_state_roles()')) }}
{%- set scope = member_analytics.member_state_scope() if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(scope.state if scope else none) %}
{#- the members' dates: every member at the recent dates, and in a daily run the changed
    members at the other dates (the second item: whether only the changed members); and the
    joins of visit days to those dates -#}
{%- set date_sets = [('recent_dates', false)] + ([('earlier_dates', true)] if scope else []) %}
{%- set last_visit_joins = [('recent_visit_days', 'recent_dates'), ('changed_visit_days', 'earlier_dates')]
    if scope else [('visit_days', 'recent_dates')] %}
{%- set activity_window = member_analytics.validated_number('member_analytics__activity__window_days') %}
{%- set loyalty_window = member_analytics.validated_number('member_analytics__loyalty__window_days') %}
{%- set revenue_days = member_analytics.audience_var('revenue_days') %}
with

members as (
    select * from {{ ref('int_members_unified') }}
),

visit_days as (
    select * from {{ ref('int_member_visit_days') }}
),

orders as (
    select * from {{ ref('int_orders_valued') }}
    where is_valid_purchase
),

evaluation_dates as (
    select * from {{ ref('int_member_evaluation_dates') }}
),

-- the dates every member's state is computed at: all of them, or in a daily run
-- the new dates from the cutoff on (member_state_dates)
recent_dates as (
    select * from evaluation_dates
    {%- if scope %}
    where {{ member_analytics.is_in_dates('evaluation_date', scope.new_dates) }}
    {%- endif %}
),
{%- if scope %}

-- a daily run: the other dates (before the cutoff, or kept), for the changed members only
earlier_dates as (
    select * from evaluation_dates
    where not {{ member_analytics.is_in_dates('evaluation_date', scope.new_dates) }}
),

-- the changed members' valid purchases (read from the model, not from the orders CTE:
-- a CTE read twice is materialised)
changed_orders as (
    select * from {{ ref('int_orders_valued') }} as orders
    where orders.is_valid_purchase and {{ member_analytics.is_changed_member(scope.state, 'orders') }}
),

changed_visit_days as (
    select * from visit_days
    where {{ member_analytics.is_changed_member(scope.state, 'visit_days') }}
),

-- a daily run: the visit days that can count at a date from the cutoff on, as the last
-- visit (the next visit is after the cutoff, or none) or in the activity window (on or
-- after the window's start at the cutoff): implied by the joins below, so the recent
-- dates are joined to each member's last visit day before the cutoff and the visit days
-- near and after it, not to every visit day ever
recent_visit_days as (
    select * from visit_days
    where
        visit_days.next_visit_date is null
        or visit_days.next_visit_date > {{ scope.cutoff }}
        or visit_days.visit_date >= {{ member_analytics.trailing_window_start(scope.cutoff, activity_window) }}
),
{%- endif %}

levels as (
    select * from {{ ref('activity_levels') }}
),

member_dates as (
    {%- for dates, changed_only in date_sets %}
        select
            members.shop_id,
            members.member_id,
            evaluation_dates.evaluation_date,
            evaluation_dates.is_history_snapshot_date,
            evaluation_dates.is_as_of_date,
            evaluation_dates.is_day_before_as_of_date,
            evaluation_dates.is_lookback_date,
            evaluation_dates.is_as_of_date or evaluation_dates.is_day_before_as_of_date as has_purchase_measures,
            {{ member_analytics.membership_start_date('members') }} as membership_start_date,
            members.first_seen_date,
            evaluation_dates.lookback_date
        from members
        cross join {{ dates }} as evaluation_dates
        where
            (evaluation_dates.is_as_of_date or evaluation_dates.evaluation_date >= members.first_seen_date)
            and {{ member_analytics.is_changed_member(scope.state if changed_only else none, 'members') }}
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

-- the last visit on or before a date: the visit whose interval to the next
-- visit holds the date
last_visits as (
    {%- for visits, dates in last_visit_joins %}
        select
            visit_days.shop_id,
            visit_days.member_id,
            evaluation_dates.evaluation_date,
            visit_days.visit_date as last_visit_date
        from {{ visits }} as visit_days
        inner join {{ dates }} as evaluation_dates
            on
                visit_days.visit_date <= evaluation_dates.evaluation_date
                and (visit_days.next_visit_date is null or visit_days.next_visit_date > evaluation_dates.evaluation_date)
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

window_visits as (
    {%- for visits, dates in last_visit_joins %}
        select
            visit_days.shop_id,
            visit_days.member_id,
            evaluation_dates.evaluation_date,
            count(*) as visit_days_in_window
        from {{ visits }} as visit_days
        inner join {{ dates }} as evaluation_dates
            on
                visit_days.visit_date <= evaluation_dates.evaluation_date
                and visit_days.visit_date
                >= {{ member_analytics.trailing_window_start('evaluation_dates.evaluation_date', activity_window) }}
        group by visit_days.shop_id, visit_days.member_id, evaluation_dates.evaluation_date
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

-- valid purchases up to each date that has purchase measures, flagged when
-- in the loyalty window and in the audiences' revenue window ending on it: every
-- member's at the recent dates, and in a daily run the changed members' at the others
dated_purchases as (
    {%- for purchases, dates in [('orders', 'recent_dates')] + ([('changed_orders', 'earlier_dates')] if scope else []) %}
        select
            orders.shop_id,
            orders.member_id,
            evaluation_dates.evaluation_date,
            orders.ordered_date,
            orders.net_amount,
            orders.ordered_date
            >= {{ member_analytics.trailing_window_start('evaluation_dates.evaluation_date', loyalty_window) }}
                as is_in_loyalty_window,
            orders.ordered_date
            >= {{ member_analytics.trailing_window_start('evaluation_dates.evaluation_date', revenue_days) }}
                as is_in_revenue_window
        from {{ purchases }} as orders
        inner join {{ dates }} as evaluation_dates
            on orders.ordered_date <= evaluation_dates.evaluation_date
        where evaluation_dates.is_as_of_date or evaluation_dates.is_day_before_as_of_date
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

purchases as (
    select
        shop_id,
        member_id,
        evaluation_date,
        count(*) as valid_purchases,
        min(ordered_date) as first_purchase_date,
        max(ordered_date) as last_purchase_date,
        sum(case when is_in_loyalty_window then 1 else 0 end) as purchases_in_loyalty_window,
        count(distinct case when is_in_loyalty_window then ordered_date end) as purchase_days_in_loyalty_window,
        sum(case when is_in_loyalty_window then net_amount else cast(0 as decimal(18, 2)) end)
            as net_revenue_in_loyalty_window,
        sum(case when is_in_revenue_window then net_amount else cast(0 as decimal(18, 2)) end) as recent_net_revenue
    from dated_purchases
    group by shop_id, member_id, evaluation_date
),

measured as (
    select
        member_dates.*,
        cast({{ dbt.datediff('member_dates.membership_start_date', 'member_dates.evaluation_date', 'day') }} as int)
            as days_since_membership_start,
        last_visits.last_visit_date,
        cast({{ dbt.datediff('last_visits.last_visit_date', 'member_dates.evaluation_date', 'day') }} as int)
            as days_since_last_visit,
        cast(coalesce(window_visits.visit_days_in_window, 0) as int) as visit_days_in_window,
        purchases.first_purchase_date,
        purchases.last_purchase_date,
        case when member_dates.has_purchase_measures then coalesce(purchases.valid_purchases, 0) end
            as valid_purchases,
        case when member_dates.has_purchase_measures then coalesce(purchases.purchases_in_loyalty_window, 0) end
            as purchases_in_loyalty_window,
        case when member_dates.has_purchase_measures then coalesce(purchases.purchase_days_in_loyalty_window, 0) end
            as purchase_days_in_loyalty_window,
        case when member_dates.has_purchase_measures then coalesce(purchases.net_revenue_in_loyalty_window, 0) end
            as net_revenue_in_loyalty_window,
        case when member_dates.has_purchase_measures then coalesce(purchases.recent_net_revenue, 0) end
            as recent_net_revenue
    from member_dates
    left join last_visits
        on
            member_dates.shop_id = last_visits.shop_id
            and member_dates.member_id = last_visits.member_id
            and member_dates.evaluation_date = last_visits.evaluation_date
    left join window_visits
        on
            member_dates.shop_id = window_visits.shop_id
            and member_dates.member_id = window_visits.member_id
            and member_dates.evaluation_date = window_visits.evaluation_date
    left join purchases
        on
            member_dates.shop_id = purchases.shop_id
            and member_dates.member_id = purchases.member_id
            and member_dates.evaluation_date = purchases.evaluation_date
),

leveled as (
    select
        *,
        {{ member_analytics.activity_level('days_since_last_visit', 'visit_days_in_window', 'days_since_membership_start') }}
            as activity_level,
        case
            when has_purchase_measures
                then {{ member_analytics.loyalty_level('purchases_in_loyalty_window', 'purchase_days_in_loyalty_window') }}
        end as loyalty_level
    from measured
),

final as (
    select
        leveled.shop_id,
        leveled.member_id,
        leveled.evaluation_date,
        leveled.activity_level,
        levels.activity_group,
        leveled.loyalty_level,
        leveled.days_since_membership_start,
        leveled.visit_days_in_window,
        leveled.days_since_last_visit,
        cast(levels.level_rank as int) as activity_level_rank,
        cast(leveled.valid_purchases as int) as valid_purchases,
        cast(leveled.purchases_in_loyalty_window as int) as purchases_in_loyalty_window,
        cast(leveled.purchase_days_in_loyalty_window as int) as purchase_days_in_loyalty_window,
        cast(leveled.net_revenue_in_loyalty_window as decimal(38, 2)) as net_revenue_in_loyalty_window,
        cast(leveled.recent_net_revenue as decimal(38, 2)) as recent_net_revenue,
        cast({{ dbt.datediff('leveled.last_purchase_date', 'leveled.evaluation_date', 'day') }} as int)
            as days_since_last_purchase,
        leveled.is_history_snapshot_date,
        leveled.is_as_of_date,
        leveled.is_day_before_as_of_date,
        leveled.is_lookback_date,
        leveled.has_purchase_measures,
        leveled.membership_start_date,
        leveled.first_seen_date,
        leveled.lookback_date,
        leveled.last_visit_date,
        leveled.first_purchase_date,
        leveled.last_purchase_date
    from leveled
    left join levels
        on leveled.activity_level = levels.activity_level
)

select * from final
