-- One row per shop and kept send of the shop's send log (raw campaign_sends):
-- what was sent, to whom, for which audience, on which channel and when
-- (docs/decisions/0123). Sends dated after as_of_date are kept and flagged;
-- the contact rules and outcomes read sends up to each day only.
with

sends as (
    select * from {{ ref('stg_shop__campaign_sends') }}
    where row_status = 'kept'
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

final as (
    select
        sends.shop_id,
        sends.send_id,
        sends.member_id,
        sends.audience,
        sends.offer,
        sends.channel,
        sends.sent_at,
        cast(sends.sent_at as date) as sent_date,
        cast(sends.sent_at as date) > as_of.as_of_date as is_after_as_of_date
    from sends
    cross join as_of
)

select * from final
