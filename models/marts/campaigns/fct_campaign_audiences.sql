-- One row per shop, member and audience as of as_of_date: who to contact
-- today, why (the facts, in words), with which action, channel and product
-- or category, and whether the contact rules suppress the row (and why)
-- (docs/decisions/0060), and the member's arm: the audience's holdout arm is
-- never contacted (docs/decisions/0123). Unsuppressed rows are today's
-- contact list.
with

audiences as (
    select * from {{ ref('fct_campaign_audience_days') }}
    where is_as_of_date
),

final as (
    select
        shop_id,
        member_id,
        audience,
        audience_name,
        reason,
        suggested_action,
        priority,
        channel,
        message_kind,
        product_id,
        product_name,
        category,
        occasion,
        occasion_date,
        is_suppressed,
        suppression_reason,
        contact_rank,
        has_usable_channel,
        arm,
        is_holdout,
        last_contact_date,
        contacts_in_last_7_days,
        as_of_date
    from audiences
)

select * from final
