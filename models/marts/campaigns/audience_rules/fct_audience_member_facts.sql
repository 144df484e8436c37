-- One row per shop, member of dim_members and evaluation day (as_of_date and
-- the day before it), for members first seen by that day: every fact the
-- audience rules read, as it stood at the end of that day
-- (docs/decisions/0060). The day before is recomputed here, never read from
-- an earlier build, so rpt_audience_summary can compare the two days and a
-- rebuild stays deterministic. Refund status is as of as_of_date on both days
-- (fct_orders.is_valid_purchase); tiers, points, visits, interest and
-- complaints are cut at each day. Activity (at each day and at the lookback
-- day before it) and purchases come from the member state (int_member_states,
-- docs/decisions/0040), measured once there.
{%- set reason_scheme = member_analytics.validated_code(
    var('member_analytics__audiences__reason_tier_scheme'), 'member_analytics__audiences__reason_tier_scheme') %}
with

members as (
    select * from {{ ref('dim_members') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_valid_purchase
),

order_items as (
    select * from {{ ref('fct_order_items') }}
    where is_valid_purchase
),

products as (
    select * from {{ ref('dim_products') }}
),

-- the two days and their lookback days only (not the history's month ends)
member_states as (
    select * from {{ ref('int_member_states') }}
    where is_as_of_date or is_day_before_as_of_date or is_lookback_date
),

interest as (
    select * from {{ ref('int_interest_events_aggregated_to_members') }}
),

tier_states as (
    select * from {{ ref('int_member_tier_states') }}
),

tier_history as (
    select * from {{ ref('fct_member_tier_history') }}
),

points_ledger as (
    select * from {{ ref('fct_member_points_ledger') }}
),

service_events as (
    select * from {{ ref('fct_service_events') }}
    where event_group = 'complaint'
),

complaint_followups as (
    select * from {{ ref('fct_complaint_followups') }}
),

promotion_recall as (
    select * from {{ ref('fct_promotion_recall') }}
),

recommendations as (
    select * from {{ ref('fct_member_recommendations') }}
    where recommendation_rank = 1
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

evaluation_days as (
    select
        as_of_date,
        as_of_date as evaluation_date
    from as_of
    union all
    select
        as_of_date,
        {{ member_analytics.add_days('as_of_date', -1) }} as evaluation_date
    from as_of
),

day_members as (
    select
        members.shop_id,
        members.member_id,
        evaluation_days.evaluation_date,
        evaluation_days.as_of_date,
        members.has_phone,
        members.is_marketing_opt_out,
        coalesce(members.registered_date <= evaluation_days.evaluation_date, false) as is_registered_member,
        members.registered_date,
        members.birth_month,
        members.birth_day
    from members
    cross join evaluation_days
    where members.first_seen_date <= evaluation_days.evaluation_date
),

-- purchases (the loyalty window, recent revenue) and activity at each day,
-- activity also at the lookback day before it: the member state. Activity
-- only from the member's start (no level before it).
purchases as (
    select * from member_states
    where is_as_of_date or is_day_before_as_of_date
),

activity as (
    select
        member_states.shop_id,
        member_states.member_id,
        member_states.evaluation_date,
        member_states.activity_level,
        member_states.activity_group,
        member_states.days_since_last_visit,
        lookback_states.activity_level as lookback_activity_level,
        lookback_states.activity_group as lookback_activity_group
    from member_states
    left join member_states as lookback_states
        on
            member_states.shop_id = lookback_states.shop_id
            and member_states.member_id = lookback_states.member_id
            and member_states.lookback_date = lookback_states.evaluation_date
            and lookback_states.membership_start_date <= lookback_states.evaluation_date
    where
        (member_states.is_as_of_date or member_states.is_day_before_as_of_date)
        and member_states.membership_start_date <= member_states.evaluation_date
),

-- the top category by net spend (ties: category key). On as_of_date it is
-- fct_member_category_preferences' first (same lines, same ranking), and so it
-- is on the day before for a member with no valid line on as_of_date itself:
-- the lines up to the day before are then all of them. Only the members who
-- bought on as_of_date are cut again from their lines up to the day before.
category_preferences as (
    select * from {{ ref('fct_member_category_preferences') }}
    where spend_rank = 1
),

todays_buyers as (
    select distinct
        shop_id,
        member_id
    from order_items
    where ordered_date = {{ member_analytics.as_of_date() }}
),

day_before_category_spend as (
    select
        order_items.shop_id,
        order_items.member_id,
        coalesce(products.category, 'unknown') as category,
        products.category is not null as has_category,
        sum(order_items.net_amount) as net_amount
    from order_items
    inner join todays_buyers
        on
            order_items.shop_id = todays_buyers.shop_id
            and order_items.member_id = todays_buyers.member_id
    left join products
        on
            order_items.shop_id = products.shop_id
            and order_items.product_id = products.product_id
    where order_items.ordered_date < {{ member_analytics.as_of_date() }}
    group by
        order_items.shop_id, order_items.member_id,
        coalesce(products.category, 'unknown'), products.category is not null
),

day_before_category_ranked as (
    select
        *,
        sum(net_amount) over (partition by shop_id, member_id) as member_net_amount,
        row_number() over (
            partition by shop_id, member_id, has_category
            order by net_amount desc, category asc
        ) as spend_rank
    from day_before_category_spend
),

-- The preferences are read in two branches, one per day, rather than cross joined
-- with evaluation_days under an OR with the NOT EXISTS: DuckDB 2.0.0 fails such a
-- cross product with the two days at the large scale (docs/decisions/0128), and the
-- OR would test every row against today's buyers on both days.
top_categories as (
    select
        shop_id,
        member_id,
        {{ member_analytics.as_of_date() }} as evaluation_date,
        category as top_category,
        share_of_spend as top_category_share_of_spend
    from category_preferences

    union all

    select
        shop_id,
        member_id,
        {{ member_analytics.add_days(member_analytics.as_of_date(), -1) }} as evaluation_date,
        category as top_category,
        share_of_spend as top_category_share_of_spend
    from category_preferences
    where
        not exists (
            select 1 from todays_buyers
            where
                todays_buyers.shop_id = category_preferences.shop_id
                and todays_buyers.member_id = category_preferences.member_id
        )

    union all

    select
        shop_id,
        member_id,
        {{ member_analytics.add_days(member_analytics.as_of_date(), -1) }} as evaluation_date,
        category as top_category,
        case
            when member_net_amount > 0 then cast(net_amount as double) / cast(member_net_amount as double)
        end as top_category_share_of_spend
    from day_before_category_ranked
    where has_category and spend_rank = 1
),

-- tiers: the latest state on or before each day (the two latest states
-- suffice for two consecutive days), and the tier period containing it
latest_states as (
    select * from (
        select
            *,
            row_number() over (partition by shop_id, member_id order by state_date desc) as recency_rank
        from tier_states
    ) as ranked
    where recency_rank <= 2
),

states_at_day as (
    select * from (
        select
            latest_states.*,
            evaluation_days.evaluation_date,
            row_number() over (
                partition by latest_states.shop_id, latest_states.member_id, evaluation_days.evaluation_date
                order by latest_states.state_date desc
            ) as day_rank
        from latest_states
        inner join evaluation_days
            on latest_states.state_date <= evaluation_days.evaluation_date
    ) as ranked
    where day_rank = 1
),

tier_bands as (
    select * from {{ ref('int_tier_bands') }}
),

tiers_at_day as (
    select
        tier_history.shop_id,
        tier_history.member_id,
        evaluation_days.evaluation_date,
        tier_history.scheme_name,
        tier_history.basis,
        tier_history.tier_name,
        states_at_day.is_in_programme,
        next_band.tier_name as next_tier_name,
        cast(
            next_band.lower_bound
            - {{ member_analytics.tier_measure('tier_history.basis', 'states_at_day.cumulative_count', 'states_at_day.cumulative_net_spend') }}
            as decimal(18, 2)
        ) as gap_to_next_tier,
        {{ member_analytics.is_near_upgrade(
            'tier_history.basis', 'next_band.lower_bound',
            member_analytics.tier_measure('tier_history.basis', 'states_at_day.cumulative_count', 'states_at_day.cumulative_net_spend')) }}
            as is_near_upgrade
    from tier_history
    inner join evaluation_days
        on {{ member_analytics.tier_period_contains('tier_history', 'evaluation_days.evaluation_date') }}
    inner join states_at_day
        on
            tier_history.shop_id = states_at_day.shop_id
            and tier_history.member_id = states_at_day.member_id
            and evaluation_days.evaluation_date = states_at_day.evaluation_date
    left join tier_bands as next_band
        on
            tier_history.scheme_name = next_band.scheme_name
            and states_at_day.is_in_programme
            and next_band.tier_rank = tier_history.tier_rank + 1
    where tier_history.valid_to is null or tier_history.valid_to >= {{ member_analytics.add_days('tier_history.as_of_date', -1) }}
),

tier_facts as (
    select
        shop_id,
        member_id,
        evaluation_date,
        max(case when scheme_name = '{{ reason_scheme }}' then tier_name end) as reason_tier_name,
        max(case when near_rank = 1 and is_near_upgrade then scheme_name end) as near_upgrade_scheme_name,
        max(case when near_rank = 1 and is_near_upgrade then basis end) as near_upgrade_basis,
        max(case when near_rank = 1 and is_near_upgrade then next_tier_name end) as near_upgrade_next_tier_name,
        max(case when near_rank = 1 and is_near_upgrade then gap_to_next_tier end) as near_upgrade_gap
    from (
        select
            *,
            row_number() over (
                partition by shop_id, member_id, evaluation_date
                order by case when is_near_upgrade then 0 else 1 end, scheme_name
            ) as near_rank
        from tiers_at_day
    ) as ranked
    group by shop_id, member_id, evaluation_date
),

-- points: the balance after the last movement on or before each day
last_movements as (
    select
        points_ledger.shop_id,
        points_ledger.member_id,
        evaluation_days.evaluation_date,
        max(points_ledger.movement_sequence) as movement_sequence
    from points_ledger
    inner join evaluation_days
        on points_ledger.movement_date <= evaluation_days.evaluation_date
    group by points_ledger.shop_id, points_ledger.member_id, evaluation_days.evaluation_date
),

points_at_day as (
    select
        last_movements.shop_id,
        last_movements.member_id,
        last_movements.evaluation_date,
        points_ledger.balance_after as points_balance
    from last_movements
    inner join points_ledger
        on
            last_movements.shop_id = points_ledger.shop_id
            and last_movements.member_id = points_ledger.member_id
            and last_movements.movement_sequence = points_ledger.movement_sequence
),

-- complaints: the latest on or before each day, and the open follow-ups
complaints_at_day as (
    select
        service_events.shop_id,
        service_events.member_id,
        evaluation_days.evaluation_date,
        max(service_events.occurred_date) as last_complaint_date
    from service_events
    inner join evaluation_days
        on service_events.occurred_date <= evaluation_days.evaluation_date
    group by service_events.shop_id, service_events.member_id, evaluation_days.evaluation_date
),

open_followups as (
    select
        complaint_followups.shop_id,
        complaint_followups.member_id,
        evaluation_days.evaluation_date,
        count(*) as open_complaints,
        min(complaint_followups.complaint_date) as oldest_open_complaint_date
    from complaint_followups
    inner join evaluation_days
        on
            complaint_followups.complaint_date <= evaluation_days.evaluation_date
            and complaint_followups.followup_window_end_date >= evaluation_days.evaluation_date
    group by complaint_followups.shop_id, complaint_followups.member_id, evaluation_days.evaluation_date
),

-- return-period recall: the day is in the return period and no valid
-- purchase since it began (the latest promotion when several)
recall_days as (
    select
        promotion_recall.shop_id,
        promotion_recall.member_id,
        promotion_recall.promotion_id,
        promotion_recall.promotion_end_date,
        promotion_recall.return_period_start_date,
        promotion_recall.return_period_end_date,
        evaluation_days.evaluation_date
    from promotion_recall
    inner join evaluation_days
        on
            promotion_recall.return_period_start_date <= evaluation_days.evaluation_date
            and promotion_recall.return_period_end_date >= evaluation_days.evaluation_date
),

recall_open as (
    select
        recall_days.shop_id,
        recall_days.member_id,
        recall_days.evaluation_date,
        recall_days.promotion_id,
        recall_days.return_period_end_date,
        row_number() over (
            partition by recall_days.shop_id, recall_days.member_id, recall_days.evaluation_date
            order by recall_days.promotion_end_date desc, recall_days.promotion_id desc
        ) as promotion_rank
    from recall_days
    left join orders
        on
            recall_days.shop_id = orders.shop_id
            and recall_days.member_id = orders.member_id
            and recall_days.return_period_start_date <= orders.ordered_date
            and recall_days.evaluation_date >= orders.ordered_date
    where orders.order_id is null
),

final as (
    select
        day_members.shop_id,
        day_members.member_id,
        day_members.evaluation_date,
        day_members.as_of_date,
        day_members.evaluation_date = day_members.as_of_date as is_as_of_date,
        day_members.has_phone,
        day_members.is_marketing_opt_out,
        day_members.is_registered_member,
        coalesce(purchases.valid_purchases, 0) > 0 as is_buyer,
        day_members.registered_date,
        day_members.birth_month,
        day_members.birth_day,
        cast(coalesce(purchases.valid_purchases, 0) as int) as valid_orders,
        purchases.first_purchase_date,
        purchases.last_purchase_date,
        purchases.days_since_last_purchase as recency_days,
        cast(coalesce(purchases.recent_net_revenue, 0) as decimal(38, 2)) as recent_net_revenue,
        purchases.loyalty_level,
        top_categories.top_category,
        top_categories.top_category_share_of_spend,
        case
            when interest.first_interest_date <= day_members.evaluation_date
                then case
                    when day_members.evaluation_date = day_members.as_of_date then interest.last_interest_date
                    else interest.last_interest_date_before_as_of_date
                end
        end as last_interest_date,
        activity.activity_level,
        activity.activity_group,
        activity.days_since_last_visit,
        activity.lookback_activity_level,
        activity.lookback_activity_group,
        tier_facts.reason_tier_name,
        tier_facts.near_upgrade_scheme_name,
        tier_facts.near_upgrade_basis,
        tier_facts.near_upgrade_next_tier_name,
        tier_facts.near_upgrade_gap,
        coalesce(states_at_day.is_in_programme, false) as is_in_programme,
        case when states_at_day.is_in_programme then states_at_day.projected_lapse_date end as lapses_on,
        coalesce(points_at_day.points_balance, 0) as points_balance,
        complaints_at_day.last_complaint_date,
        cast(coalesce(open_followups.open_complaints, 0) as int) as open_complaints,
        open_followups.oldest_open_complaint_date,
        recall_open.promotion_id as recall_promotion_id,
        recall_open.return_period_end_date as recall_return_period_end_date,
        recommendations.product_id as recommended_product_id,
        recommendations.product_name as recommended_product_name
    from day_members
    left join purchases
        on
            day_members.shop_id = purchases.shop_id
            and day_members.member_id = purchases.member_id
            and day_members.evaluation_date = purchases.evaluation_date
    left join top_categories
        on
            day_members.shop_id = top_categories.shop_id
            and day_members.member_id = top_categories.member_id
            and day_members.evaluation_date = top_categories.evaluation_date
    left join interest
        on
            day_members.shop_id = interest.shop_id
            and day_members.member_id = interest.member_id
    left join activity
        on
            day_members.shop_id = activity.shop_id
            and day_members.member_id = activity.member_id
            and day_members.evaluation_date = activity.evaluation_date
    left join tier_facts
        on
            day_members.shop_id = tier_facts.shop_id
            and day_members.member_id = tier_facts.member_id
            and day_members.evaluation_date = tier_facts.evaluation_date
    left join states_at_day
        on
            day_members.shop_id = states_at_day.shop_id
            and day_members.member_id = states_at_day.member_id
            and day_members.evaluation_date = states_at_day.evaluation_date
    left join points_at_day
        on
            day_members.shop_id = points_at_day.shop_id
            and day_members.member_id = points_at_day.member_id
            and day_members.evaluation_date = points_at_day.evaluation_date
    left join complaints_at_day
        on
            day_members.shop_id = complaints_at_day.shop_id
            and day_members.member_id = complaints_at_day.member_id
            and day_members.evaluation_date = complaints_at_day.evaluation_date
    left join open_followups
        on
            day_members.shop_id = open_followups.shop_id
            and day_members.member_id = open_followups.member_id
            and day_members.evaluation_date = open_followups.evaluation_date
    left join recall_open
        on
            day_members.shop_id = recall_open.shop_id
            and day_members.member_id = recall_open.member_id
            and day_members.evaluation_date = recall_open.evaluation_date
            and recall_open.promotion_rank = 1
    left join recommendations
        on
            day_members.shop_id = recommendations.shop_id
            and day_members.member_id = recommendations.member_id
)

select * from final
