-- One row per shop, member, evaluation day (as_of_date and the day before)
-- and audience of fct_audience_candidates, with the contact rules applied
-- (docs/decisions/0060), in this order: an opted-out member gets no
-- marketing (`marketing_opt_out`); a member who complained within the quiet
-- days gets care messages only (`recent_complaint`); the audience's channel
-- must be usable for the member, e.g. SMS needs a phone
-- (`no_usable_channel`); of what is left, at most the daily cap per member
-- and day, highest priority first, ties by audience code (`daily_cap`).
-- Suppressed rows stay, flagged, with the first reason that applies.
{%- set quiet_days = member_analytics.audience_var('complaint_quiet_days') %}
{%- set daily_cap = member_analytics.audience_var('daily_message_cap') %}
with

candidates as (
    select * from {{ ref('fct_audience_candidates') }}
),

channels as (
    select * from {{ ref('contact_channels') }}
),

channel_checked as (
    select
        candidates.*,
        coalesce(
            case channels.requirement
                when 'phone' then candidates.has_phone
                when 'registered_member' then candidates.is_registered_member
                when 'buyer' then candidates.is_buyer
                when 'none' then true
            end,
            false
        ) as has_usable_channel
    from candidates
    left join channels
        on candidates.channel = channels.channel
),

checked as (
    select
        *,
        case
            when message_kind = 'marketing' and is_marketing_opt_out
                then 'marketing_opt_out'
            when
                message_kind = 'marketing'
                and {{ dbt.datediff('last_complaint_date', 'evaluation_date', 'day') }} <= {{ quiet_days }}
                then 'recent_complaint'
            when not has_usable_channel
                then 'no_usable_channel'
        end as rule_suppression_reason
    from channel_checked
),

ranked as (
    select
        *,
        case
            when rule_suppression_reason is null
                then row_number() over (
                    partition by shop_id, member_id, evaluation_date, rule_suppression_reason is null
                    order by priority, audience
                )
        end as contact_rank
    from checked
),

final as (
    select
        shop_id,
        member_id,
        evaluation_date,
        as_of_date,
        is_as_of_date,
        audience,
        audience_name,
        message_kind,
        priority,
        channel,
        suggested_action,
        reason,
        occasion,
        occasion_date,
        product_id,
        product_name,
        category,
        has_usable_channel,
        cast(contact_rank as int) as contact_rank,
        coalesce(rule_suppression_reason, case when contact_rank > {{ daily_cap }} then 'daily_cap' end)
        is not null as is_suppressed,
        coalesce(rule_suppression_reason, case when contact_rank > {{ daily_cap }} then 'daily_cap' end)
            as suppression_reason,
        recent_net_revenue
    from ranked
)

select * from final
