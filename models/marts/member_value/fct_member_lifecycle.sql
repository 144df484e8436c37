-- One row per shop and member of dim_members: the lifecycle stage as of
-- as_of_date, the rule that placed the member there, the date they entered
-- it, and the stage's action (seed lifecycle_stage_actions). Buyers are
-- staged by purchase days (docs/decisions/0012): loyal (enough purchase days
-- in the trailing loyal window), repeat (two or more), new (one, within the
-- new-buyer window), sleeping (one, longer ago). Non-buyers: potential
-- (favourited or carted), else registered.
--
-- The entry date is exact: a buyer's stage can only change on a purchase
-- day, the day a purchase leaves the loyal window, or the day the new-buyer
-- window ends. The stage is evaluated on each of those days and the member
-- entered the current stage on the first day of its last unbroken run (the
-- last day whose stage differs from the candidate day before it).
{%- set new_window_days = member_analytics.validated_number('member_analytics__lifecycle__new_buyer_window_days') %}

with

members as (
    select * from {{ ref('dim_members') }}
),

interest as (
    select * from {{ ref('int_interest_events_aggregated_to_members') }}
),

stage_actions as (
    select * from {{ ref('lifecycle_stage_actions') }}
),

purchase_days as (
    select * from {{ ref('int_member_purchase_days') }}
),

buyer_totals as (
    select
        shop_id,
        member_id,
        count(*) as number_of_purchase_days,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date
    from purchase_days
    group by shop_id, member_id
),

buyers as (
    select
        *,
        {{ member_analytics.as_of_date() }} as as_of_date
    from buyer_totals
),

-- The counts change only on the candidate days: a purchase day adds one to
-- both counts on its day and leaves the loyal window loyal_window_days later
-- (days_since_purchase < loyal_window_days). Running sums over each member's
-- candidate days give the purchase days to date and in the loyal window,
-- without pairing every candidate day with every earlier purchase day.
candidate_changes as (
    {{ member_analytics.lifecycle_count_changes('purchase_days', 'stage_date') }}
    union all
    select
        shop_id,
        member_id,
        cast({{ dbt.dateadd('day', new_window_days ~ ' + 1', 'first_purchase_date') }} as date) as stage_date,
        0 as purchase_days_change,
        0 as loyal_window_change
    from buyers
    union all
    select
        shop_id,
        member_id,
        as_of_date as stage_date,
        0 as purchase_days_change,
        0 as loyal_window_change
    from buyers
),

candidate_days as (
    select
        shop_id,
        member_id,
        stage_date,
        sum(purchase_days_change) as purchase_days_change,
        sum(loyal_window_change) as loyal_window_change
    from candidate_changes
    group by shop_id, member_id, stage_date
),

counted as (
    select
        candidate_days.shop_id,
        candidate_days.member_id,
        candidate_days.stage_date,
        buyers.first_purchase_date,
        sum(candidate_days.purchase_days_change) over (
            partition by candidate_days.shop_id, candidate_days.member_id
            order by candidate_days.stage_date
            rows between unbounded preceding and current row
        ) as purchase_days_to_date,
        sum(candidate_days.loyal_window_change) over (
            partition by candidate_days.shop_id, candidate_days.member_id
            order by candidate_days.stage_date
            rows between unbounded preceding and current row
        ) as purchase_days_in_loyal_window
    from candidate_days
    inner join buyers
        on
            candidate_days.shop_id = buyers.shop_id
            and candidate_days.member_id = buyers.member_id
    where candidate_days.stage_date <= buyers.as_of_date
),

staged as (
    select
        *,
        {{ member_analytics.lifecycle_buyer_stage(
            'purchase_days_to_date', 'purchase_days_in_loyal_window', 'first_purchase_date', 'stage_date') }}
            as lifecycle_stage
    from counted
),

-- a run of one stage starts on a candidate day whose stage differs from the
-- day before it (or on the member's first candidate day)
sequenced as (
    select
        shop_id,
        member_id,
        stage_date,
        lifecycle_stage,
        purchase_days_in_loyal_window,
        lag(lifecycle_stage) over (
            partition by shop_id, member_id
            order by stage_date
        ) as previous_stage
    from staged
),

-- the stage at as_of_date (every buyer's last candidate day), and the start of
-- its run: the last run start of the member
current_stages as (
    select
        shop_id,
        member_id,
        max(case when stage_date = {{ member_analytics.as_of_date() }} then lifecycle_stage end) as lifecycle_stage,
        max(case when stage_date = {{ member_analytics.as_of_date() }} then purchase_days_in_loyal_window end)
            as purchase_days_in_loyal_window,
        max(
            case when previous_stage is null or previous_stage <> lifecycle_stage then stage_date end
        ) as stage_entered_date
    from sequenced
    group by shop_id, member_id
),

joined as (
    select
        members.shop_id,
        members.member_id,
        case
            when current_stages.lifecycle_stage is not null then current_stages.lifecycle_stage
            when interest.member_id is not null then 'potential'
            else 'registered'
        end as lifecycle_stage,
        coalesce(buyers.number_of_purchase_days, 0) as number_of_purchase_days,
        coalesce(current_stages.purchase_days_in_loyal_window, 0) as purchase_days_in_loyal_window,
        interest.member_id is not null as has_favorite_or_cart,
        {{ member_analytics.as_of_date() }} as as_of_date,
        case
            when current_stages.lifecycle_stage is not null then current_stages.stage_entered_date
            when interest.member_id is not null then interest.first_interest_date
            when members.first_seen_date <= {{ member_analytics.as_of_date() }} then members.first_seen_date
        end as stage_entered_date,
        buyers.first_purchase_date,
        buyers.last_purchase_date,
        interest.first_interest_date as first_favorite_or_cart_date
    from members
    left join buyers
        on
            members.shop_id = buyers.shop_id
            and members.member_id = buyers.member_id
    left join current_stages
        on
            members.shop_id = current_stages.shop_id
            and members.member_id = current_stages.member_id
    left join interest
        on
            members.shop_id = interest.shop_id
            and members.member_id = interest.member_id
),

final as (
    select
        joined.shop_id,
        joined.member_id,
        joined.lifecycle_stage,
        {{ member_analytics.lifecycle_stage_rule('joined.lifecycle_stage') }} as stage_rule,
        stage_actions.description as stage_description,
        stage_actions.suggested_action,
        cast(stage_actions.stage_order as int) as stage_order,
        cast(joined.number_of_purchase_days as bigint) as number_of_purchase_days,
        cast(joined.purchase_days_in_loyal_window as bigint) as purchase_days_in_loyal_window,
        joined.has_favorite_or_cart,
        joined.as_of_date,
        joined.stage_entered_date,
        joined.first_purchase_date,
        joined.last_purchase_date,
        joined.first_favorite_or_cart_date
    from joined
    left join stage_actions
        on joined.lifecycle_stage = stage_actions.lifecycle_stage
)

select * from final
