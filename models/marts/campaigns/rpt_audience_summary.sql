-- One row per shop and audience switched on (seed campaign_audiences): its
-- members as of as_of_date, those reachable today (not suppressed), the
-- suppressed by reason, their net revenue over the revenue days, and the
-- change against the same rules evaluated at as_of_date - 1 day (recomputed
-- in the same build, so a rebuild gives the same figures): members then,
-- members who entered and members who left (docs/decisions/0060).
with

audiences as (
    select * from {{ ref('campaign_audiences') }}
),

rows_by_day as (
    select * from {{ ref('fct_campaign_audience_days') }}
),

members as (
    select * from {{ ref('dim_members') }}
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

shops as (
    select distinct shop_id from members
),

shop_audiences as (
    select
        shops.shop_id,
        audiences.audience,
        audiences.audience_name,
        audiences.message_kind,
        cast(audiences.priority as int) as priority,
        audiences.channel
    from shops
    cross join audiences
    where {{ member_analytics.audience_is_enabled('shops.shop_id', 'audiences.audience') }}
),

today as (
    select * from rows_by_day
    where is_as_of_date
),

day_before as (
    select * from rows_by_day
    where not is_as_of_date
),

today_counts as (
    select
        shop_id,
        audience,
        count(*) as members,
        sum(case when not is_suppressed then 1 else 0 end) as reachable_members,
        sum(case when suppression_reason = 'marketing_opt_out' then 1 else 0 end) as opted_out_members,
        sum(case when suppression_reason = 'recent_complaint' then 1 else 0 end) as recent_complaint_members,
        sum(case when suppression_reason = 'no_usable_channel' then 1 else 0 end) as no_channel_members,
        sum(case when suppression_reason = 'daily_cap' then 1 else 0 end) as daily_cap_members,
        sum(case when suppression_reason = 'recently_contacted' then 1 else 0 end) as recently_contacted_members,
        sum(case when suppression_reason = 'weekly_contact_cap' then 1 else 0 end) as weekly_contact_cap_members,
        sum(case when suppression_reason = 'holdout' then 1 else 0 end) as holdout_members,
        sum(case when is_holdout then 1 else 0 end) as holdout_arm_members,
        sum(recent_net_revenue) as recent_net_revenue,
        sum(case when not is_suppressed then recent_net_revenue else 0 end) as reachable_recent_net_revenue
    from today
    group by shop_id, audience
),

day_before_counts as (
    select
        shop_id,
        audience,
        count(*) as members,
        sum(case when not is_suppressed then 1 else 0 end) as reachable_members
    from day_before
    group by shop_id, audience
),

-- members who entered (in today, not the day before) and left (the reverse):
-- one pass over both days
moves as (
    select
        coalesce(today.shop_id, day_before.shop_id) as shop_id,
        coalesce(today.audience, day_before.audience) as audience,
        sum(case when day_before.member_id is null then 1 else 0 end) as members_entered,
        sum(case when today.member_id is null then 1 else 0 end) as members_left
    from today
    full outer join day_before
        on
            today.shop_id = day_before.shop_id
            and today.member_id = day_before.member_id
            and today.audience = day_before.audience
    where today.member_id is null or day_before.member_id is null
    group by coalesce(today.shop_id, day_before.shop_id), coalesce(today.audience, day_before.audience)
),

final as (
    select
        shop_audiences.shop_id,
        shop_audiences.audience,
        shop_audiences.audience_name,
        shop_audiences.message_kind,
        shop_audiences.priority,
        shop_audiences.channel,
        as_of.as_of_date,
        cast(coalesce(today_counts.members, 0) as int) as members,
        cast(coalesce(today_counts.reachable_members, 0) as int) as reachable_members,
        cast(coalesce(today_counts.opted_out_members, 0) as int) as opted_out_members,
        cast(coalesce(today_counts.recent_complaint_members, 0) as int) as recent_complaint_members,
        cast(coalesce(today_counts.no_channel_members, 0) as int) as no_channel_members,
        cast(coalesce(today_counts.daily_cap_members, 0) as int) as daily_cap_members,
        cast(coalesce(today_counts.recently_contacted_members, 0) as int) as recently_contacted_members,
        cast(coalesce(today_counts.weekly_contact_cap_members, 0) as int) as weekly_contact_cap_members,
        cast(coalesce(today_counts.holdout_members, 0) as int) as holdout_members,
        cast(coalesce(today_counts.holdout_arm_members, 0) as int) as holdout_arm_members,
        cast(coalesce(today_counts.recent_net_revenue, 0) as decimal(38, 2)) as recent_net_revenue,
        cast(coalesce(today_counts.reachable_recent_net_revenue, 0) as decimal(38, 2)) as reachable_recent_net_revenue,
        cast(coalesce(day_before_counts.members, 0) as int) as members_day_before,
        cast(coalesce(day_before_counts.reachable_members, 0) as int) as reachable_members_day_before,
        cast(coalesce(today_counts.members, 0) - coalesce(day_before_counts.members, 0) as int) as members_change,
        cast(coalesce(moves.members_entered, 0) as int) as members_entered,
        cast(coalesce(moves.members_left, 0) as int) as members_left
    from shop_audiences
    cross join as_of
    left join today_counts
        on
            shop_audiences.shop_id = today_counts.shop_id
            and shop_audiences.audience = today_counts.audience
    left join day_before_counts
        on
            shop_audiences.shop_id = day_before_counts.shop_id
            and shop_audiences.audience = day_before_counts.audience
    left join moves
        on
            shop_audiences.shop_id = moves.shop_id
            and shop_audiences.audience = moves.audience
)

select * from final
