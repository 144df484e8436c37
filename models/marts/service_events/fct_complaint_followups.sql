-- One row per shop and complaint (on or before as_of_date) that is not
-- resolved by as_of_date and was not followed by a good review (rating of at
-- least service__followup_min_rating) by the same member later than the
-- complaint and at most service__followup_days days after its day: the
-- members to call (docs/decisions/0050).
{%- set followup_days = member_analytics.validated_number('member_analytics__service__followup_days') %}
{%- set min_rating = member_analytics.validated_number('member_analytics__service__followup_min_rating') %}
with

service_events as (
    select * from {{ ref('fct_service_events') }}
),

members as (
    select * from {{ ref('dim_members') }}
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

complaints as (
    select
        service_events.*,
        cast({{ dbt.dateadd('day', followup_days, 'service_events.occurred_date') }} as date)
            as followup_window_end_date
    from service_events
    where
        service_events.event_group = 'complaint'
        and not service_events.is_resolved
),

good_reviews as (
    select * from service_events
    where
        event_group = 'review'
        and rating >= {{ min_rating }}
),

followed_up as (
    select distinct
        complaints.shop_id,
        complaints.service_event_id
    from complaints
    inner join good_reviews
        on
            complaints.shop_id = good_reviews.shop_id
            and complaints.member_id = good_reviews.member_id
            and complaints.occurred_at < good_reviews.occurred_at
            and complaints.followup_window_end_date >= good_reviews.occurred_date
),

final as (
    select
        complaints.shop_id,
        complaints.service_event_id,
        complaints.member_id,
        complaints.order_id,
        complaints.product_id,
        cast({{ dbt.datediff('complaints.occurred_date', 'as_of.as_of_date', 'day') }} as int) as days_since_complaint,
        coalesce(members.has_phone, false) as has_phone,
        coalesce(members.is_marketing_opt_out, false) as is_marketing_opt_out,
        as_of.as_of_date <= complaints.followup_window_end_date as is_followup_window_open,
        complaints.occurred_date as complaint_date,
        complaints.followup_window_end_date,
        complaints.occurred_at as complained_at
    from complaints
    cross join as_of
    left join followed_up
        on
            complaints.shop_id = followed_up.shop_id
            and complaints.service_event_id = followed_up.service_event_id
    left join members
        on
            complaints.shop_id = members.shop_id
            and complaints.member_id = members.member_id
    where followed_up.service_event_id is null
)

select * from final
