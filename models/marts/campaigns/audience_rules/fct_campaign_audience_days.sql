-- One row per shop, member, evaluation day (as_of_date and the day before)
-- and audience of fct_audience_candidates, with the contact rules applied
-- (docs/decisions/0060), in this order: an opted-out member gets no
-- marketing (`marketing_opt_out`); a member who complained within the quiet
-- days gets care messages only (`recent_complaint`); the audience's channel
-- must be usable for the member, e.g. SMS needs a phone
-- (`no_usable_channel`); of what is left, at most the daily cap per member
-- must be usable for the member, e.g. SMS needs a phone
-- (`no_usable_channel`); a member the shop's send log shows sent anything
-- within the contact quiet days gets no marketing (`recently_contacted`), nor
-- one sent the weekly cap's number of messages in the 7 days ending on the day
-- (`weekly_contact_cap`); of what is left, at most the daily cap per member
-- and day, highest priority first, ties by audience code (`daily_cap`); a row
-- within the cap whose member is in the audience's holdout arm is held out
-- (`holdout`: it takes the slot, so the member gets no other message instead;
-- docs/decisions/0123). Every row has its arm, suppressed or not.
-- Suppressed rows stay, flagged, with the first reason that applies.
{%- set quiet_days = member_analytics.audience_var('complaint_quiet_days') %}
{%- set daily_cap = member_analytics.audience_var('daily_message_cap') %}
{%- set contact_quiet_days = member_analytics.audience_var('contact_quiet_days') %}
{%- set weekly_cap = member_analytics.audience_var('weekly_contact_cap') %}
with

candidates as (
    select * from {{ ref('fct_audience_candidates') }}
),

sends as (
    select * from {{ ref('fct_campaign_sends') }}
),

evaluation_days as (
    select distinct evaluation_date from candidates
),

-- the send log up to each day: the last send and the sends of the 7 days
-- ending on the day
contacts as (
    select
        sends.shop_id,
        sends.member_id,
        evaluation_days.evaluation_date,
        max(sends.sent_date) as last_contact_date,
        sum(
            case when sends.sent_date > {{ member_analytics.add_days('evaluation_days.evaluation_date', -7) }} then 1 else 0 end
        ) as contacts_in_last_7_days
    from sends
    inner join evaluation_days
        on sends.sent_date <= evaluation_days.evaluation_date
    group by sends.shop_id, sends.member_id, evaluation_days.evaluation_date
),

channels as (
    select * from {{ ref('contact_channels') }}
),

channel_checked as (
    select
        candidates.*,
        contacts.last_contact_date,
        cast(coalesce(contacts.contacts_in_last_7_days, 0) as int) as contacts_in_last_7_days,
        {{ member_analytics.campaign_arm('candidates.shop_id', 'candidates.audience', 'candidates.member_id') }} as arm,
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
    left join contacts
        on
            candidates.shop_id = contacts.shop_id
            and candidates.member_id = contacts.member_id
            and candidates.evaluation_date = contacts.evaluation_date
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
            when
                message_kind = 'marketing'
                and {{ dbt.datediff('last_contact_date', 'evaluation_date', 'day') }} < {{ contact_quiet_days }}
                then 'recently_contacted'
            when
                message_kind = 'marketing'
                and {{ weekly_cap }} > 0
                and contacts_in_last_7_days >= {{ weekly_cap }}
                then 'weekly_contact_cap'
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

reasoned as (
    select
        *,
        case
            when rule_suppression_reason is not null then rule_suppression_reason
            when contact_rank > {{ daily_cap }} then 'daily_cap'
            when arm = 'holdout' then 'holdout'
        end as suppression_reason
    from ranked
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
        suppression_reason is not null as is_suppressed,
        suppression_reason,
        arm,
        arm = 'holdout' as is_holdout,
        last_contact_date,
        contacts_in_last_7_days,
        recent_net_revenue
    from reasoned
)

select * from final
