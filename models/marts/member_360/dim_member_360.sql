-- One row per shop and member of dim_members, buyers or not: everything the
-- warehouse knows about the member as of as_of_date, so a BI user joins nothing
-- (docs/decisions/0124). Profile (no personal data), lifecycle stage, RFM,
-- the tier in the headline scheme (var member_analytics__member_360__tier_scheme)
-- and a summary of every scheme, points, activity and loyalty and their matrix
-- cell, purchase profile, service rates, forecasts and rhythm, the latest
-- contact and today's audiences, and the default declared traits (seed
-- member_traits). Each part comes from its public mart, never recomputed.
{%- set tier_scheme = member_analytics.validated_identifier(
    var('member_analytics__member_360__tier_scheme'), 'member_analytics__member_360__tier_scheme') %}
{%- set default_traits = [
    ('orders_last_30_days', 'count'), ('orders_last_365_days', 'count'),
    ('purchase_days_last_90_days', 'distinct_days'), ('net_spend_last_90_days', 'sum_amount'),
    ('net_spend_last_365_days', 'sum_amount'), ('first_order_date', 'first'),
    ('items_bought_last_90_days', 'count'), ('top_category_last_365_days', 'most_frequent_category'),
    ('visit_days_last_7_days', 'distinct_days'), ('visit_days_last_30_days', 'distinct_days'),
    ('favourites_last_7_days', 'count'), ('top_favourite_category_last_90_days', 'most_frequent_category'),
    ('carts_last_30_days', 'count'), ('last_cart_date', 'last'),
    ('returns_last_365_days', 'count'), ('complaints_last_365_days', 'count'),
    ('points_earned_last_365_days', 'sum_amount'),
] %}
{%- set trait_columns = [] %}
{%- for name, aggregation in default_traits %}{% do trait_columns.append('member_traits.' ~ name) %}{% endfor %}

with

members as (
    select * from {{ ref('dim_members') }}
),

lifecycle as (
    select * from {{ ref('fct_member_lifecycle') }}
),

rfm as (
    select * from {{ ref('fct_member_rfm') }}
),

tiers as (
    select * from {{ ref('fct_member_tiers_current') }}
),

points as (
    select * from {{ ref('fct_member_points_balance') }}
),

activity as (
    select * from {{ ref('fct_member_activity') }}
),

loyalty as (
    select * from {{ ref('fct_member_loyalty') }}
),

diagnoses as (
    select * from {{ ref('activity_loyalty_diagnoses') }}
),

purchase_profile as (
    select * from {{ ref('fct_member_purchase_profile') }}
),

service_rates as (
    select * from {{ ref('fct_member_service_rates') }}
),

forecasts as (
    select * from {{ ref('fct_member_forecasts') }}
),

audiences as (
    select * from {{ ref('fct_campaign_audiences') }}
),

traits as (
    select * from {{ ref('fct_member_traits') }}
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

-- every scheme's tier, in scheme order: "by_net_spend: gold; by_purchase_count: senior"
tier_summaries as (
    select
        shop_id,
        member_id,
        {{ member_analytics.ordered_string_agg("scheme_name || ': ' || tier_name", 'scheme_name', '; ') }}
            as tiers_by_scheme
    from tiers
    where tier_name is not null
    group by shop_id, member_id
),

headline_tiers as (
    select * from tiers
    where scheme_name = '{{ tier_scheme }}'
),

-- sends up to as_of_date: the latest (latest time, then the greatest send id) and the
-- count in the 7 days ending on as_of_date
sends as (
    select
        sends.shop_id,
        sends.member_id,
        sends.sent_date,
        sends.audience,
        sends.channel,
        row_number() over (
            partition by sends.shop_id, sends.member_id
            order by sends.sent_at desc, sends.send_id desc
        ) as recency_rank,
        case
            when sends.sent_date >= {{ member_analytics.trailing_window_start('as_of.as_of_date', 7) }}
                then 1
            else 0
        end as is_in_last_7_days
    from {{ ref('fct_campaign_sends') }} as sends
    cross join as_of
    where sends.sent_date <= as_of.as_of_date
),

contacts as (
    select
        shop_id,
        member_id,
        max(case when recency_rank = 1 then sent_date end) as last_contact_date,
        max(case when recency_rank = 1 then audience end) as last_contact_audience,
        max(case when recency_rank = 1 then channel end) as last_contact_channel,
        cast(sum(is_in_last_7_days) as int) as contacts_in_last_7_days
    from sends
    group by shop_id, member_id
),

-- today's audiences, by priority (then code); the one the contact rules let through
{%- set priority_then_code = "lpad(cast(priority as " ~ dbt.type_string() ~ "), 4, '0') || audience" %}
todays_audiences as (
    select
        shop_id,
        member_id,
        count(*) as audiences_today,
        {{ member_analytics.ordered_string_agg('audience', priority_then_code, ', ') }} as todays_audiences,
        max(case when not is_suppressed then audience end) as todays_contact_audience,
        max(case when is_holdout then 1 else 0 end) = 1 as is_holdout_today
    from audiences
    group by shop_id, member_id
),

-- the default traits, one column each, for every member (0 or null without a matching event)
member_traits as (
    select
        {%- for name, aggregation in default_traits %}
        {{ member_analytics.trait_pivot({
            'name': name, 'aggregation': aggregation,
            'kind': member_analytics.trait_value_kind(aggregation)}) }} as {{ name }},
        {%- endfor %}
        members.shop_id,
        members.member_id
    from members
    left join traits
        on
            members.shop_id = traits.shop_id
            and members.member_id = traits.member_id
    group by members.shop_id, members.member_id
),

final as (
    select
        members.shop_id,
        members.member_id,
        as_of.as_of_date,
        members.member_source,
        members.gender,
        members.province,
        members.city,
        members.age_band,
        members.is_registered_member,
        members.is_buyer,
        members.has_phone,
        members.is_marketing_opt_out,
        members.registered_date,
        members.first_seen_date,
        lifecycle.lifecycle_stage,
        lifecycle.stage_entered_date as lifecycle_stage_entered_date,
        rfm.rfm_segment,
        rfm.recency_band,
        rfm.recency_days,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.frequency as rfm_frequency,
        rfm.monetary as rfm_monetary,
        rfm.average_order_value,
        rfm.loyalty_ladder_step,
        rfm.first_purchase_date,
        rfm.last_purchase_date,
        '{{ tier_scheme }}' as tier_scheme,
        headline_tiers.tier_name,
        headline_tiers.tier_rank,
        headline_tiers.tier_since_date,
        headline_tiers.next_tier_name,
        headline_tiers.gap_to_next_tier,
        headline_tiers.is_near_upgrade,
        headline_tiers.lapses_on as tier_lapses_on,
        tier_summaries.tiers_by_scheme,
        points.balance_points as points_balance,
        points.earned_points as points_earned,
        points.last_movement_date as points_last_movement_date,
        activity.activity_level,
        activity.activity_group,
        activity.days_since_last_visit,
        activity.visit_days_in_window,
        loyalty.loyalty_level,
        loyalty.purchases_in_window as purchases_in_loyalty_window,
        diagnoses.cell_name as activity_loyalty_cell,
        purchase_profile.top_category,
        purchase_profile.top_category_share_of_spend,
        purchase_profile.preferred_hour_band,
        purchase_profile.preferred_weekday_name,
        service_rates.cancel_rate,
        service_rates.return_exchange_rate,
        service_rates.complaint_rate,
        service_rates.review_rate,
        service_rates.average_rating,
        forecasts.p_alive,
        forecasts.expected_purchases_90d,
        forecasts.predicted_clv_365d,
        forecasts.churn_risk_band,
        forecasts.model_status as forecast_model_status,
        forecasts.median_days_between_purchases,
        forecasts.expected_next_purchase_date,
        forecasts.purchase_overdue_factor,
        contacts.last_contact_date,
        contacts.last_contact_audience,
        contacts.last_contact_channel,
        coalesce(contacts.contacts_in_last_7_days, 0) as contacts_in_last_7_days,
        coalesce(todays_audiences.audiences_today, 0) as audiences_today,
        todays_audiences.todays_audiences,
        todays_audiences.todays_contact_audience,
        coalesce(todays_audiences.is_holdout_today, false) as is_holdout_today,
        {{ trait_columns | join(',\n        ') }}
    from members
    cross join as_of
    left join lifecycle
        on members.shop_id = lifecycle.shop_id and members.member_id = lifecycle.member_id
    left join rfm
        on members.shop_id = rfm.shop_id and members.member_id = rfm.member_id
    left join headline_tiers
        on members.shop_id = headline_tiers.shop_id and members.member_id = headline_tiers.member_id
    left join tier_summaries
        on members.shop_id = tier_summaries.shop_id and members.member_id = tier_summaries.member_id
    left join points
        on members.shop_id = points.shop_id and members.member_id = points.member_id
    left join activity
        on members.shop_id = activity.shop_id and members.member_id = activity.member_id
    left join loyalty
        on members.shop_id = loyalty.shop_id and members.member_id = loyalty.member_id
    left join diagnoses
        on activity.activity_group = diagnoses.activity_group and loyalty.loyalty_level = diagnoses.loyalty_level
    left join purchase_profile
        on members.shop_id = purchase_profile.shop_id and members.member_id = purchase_profile.member_id
    left join service_rates
        on members.shop_id = service_rates.shop_id and members.member_id = service_rates.member_id
    left join forecasts
        on members.shop_id = forecasts.shop_id and members.member_id = forecasts.member_id
    left join contacts
        on members.shop_id = contacts.shop_id and members.member_id = contacts.member_id
    left join todays_audiences
        on members.shop_id = todays_audiences.shop_id and members.member_id = todays_audiences.member_id
    left join member_traits
        on members.shop_id = member_traits.shop_id and members.member_id = member_traits.member_id
)

select * from final
