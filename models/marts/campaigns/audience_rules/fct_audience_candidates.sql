-- One row per shop, member, evaluation day (as_of_date and the day before)
-- and audience switched on (seed campaign_audiences, vars
-- member_analytics__audiences__disabled*) whose rule the member meets that
-- day: the audience rules, one CTE each (docs/decisions/0060), with the
-- reason in words, the occasion that triggered it and what the contact
-- rules need. No contact hygiene yet (fct_campaign_audience_days).
{%- set interest_days = member_analytics.audience_var('potential_interest_days') %}
{%- set lapse_days = member_analytics.audience_var('lapse_warning_days') %}
{%- set birthday_days = member_analytics.audience_var('birthday_lead_days') %}
{%- set holiday_days = member_analytics.audience_var('holiday_lead_days') %}
with

facts as (
    select * from {{ ref('fct_audience_member_facts') }}
),

audiences as (
    select * from {{ ref('campaign_audiences') }}
),

promotion_windows as (
    select * from {{ ref('promotion_windows') }}
),

holidays as (
    select * from {{ ref('holidays') }}
),

repurchase_due_items as (
    select * from {{ ref('fct_audience_repurchase_due') }}
),

-- phrases the reasons share
described as (
    select
        *,
        case
            when last_purchase_date is not null
                then concat(
                    'last purchase ', {{ member_analytics.count_words('recency_days', 'day', 'days') }}, ' ago; ',
                    {{ member_analytics.count_words('valid_orders', 'order', 'orders') }}
                )
        end as purchase_words,
        case
            when last_purchase_date is not null then {{ member_analytics.recency_band('recency_days') }}
        end as recency_band,
        case
            when is_in_programme and reason_tier_name not in ('lapsed', 'below_entry')
                then concat(reason_tier_name, ' tier')
        end as tier_words
    from facts
),

complaint_followup as (
    select
        *,
        'complaint_followup' as audience,
        concat_ws(
            '; ',
            concat(
                {{ member_analytics.as_text('open_complaints') }},
                case when open_complaints = 1 then ' open complaint' else ' open complaints' end,
                ', the oldest on ', {{ member_analytics.as_text('oldest_open_complaint_date') }}, ', not followed up'
            ),
            purchase_words
        ) as reason,
        'complaint' as occasion,
        oldest_open_complaint_date as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        false as attaches_product
    from described
    where open_complaints > 0
),

membership_lapse as (
    select
        *,
        'membership_lapse' as audience,
        concat_ws(
            '; ',
            concat(
                'membership lapses on ', {{ member_analytics.as_text('lapses_on') }}, ' (in ',
                {{ member_analytics.count_words(dbt.datediff('evaluation_date', 'lapses_on', 'day'), 'day', 'days') }}, ')'
            ),
            concat({{ member_analytics.as_text('points_balance') }}, ' points will be cleared'),
            tier_words
        ) as reason,
        'lapse' as occasion,
        lapses_on as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        false as attaches_product
    from described
    where
        is_in_programme
        and points_balance > 0
        and {{ dbt.datediff('evaluation_date', 'lapses_on', 'day') }} <= {{ lapse_days }}
),

followup_due as (
    select
        *,
        case
            when {{ member_analytics.followup_due_date('first_purchase_date', '3_days') }} = evaluation_date then '3_days'
            when {{ member_analytics.followup_due_date('first_purchase_date', '3_weeks') }} = evaluation_date then '3_weeks'
            when {{ member_analytics.followup_due_date('first_purchase_date', '3_months') }} = evaluation_date then '3_months'
        end as followup
    from described
    where first_purchase_date is not null
),

first_purchase_followup as (
    select
        *,
        'first_purchase_followup' as audience,
        concat_ws(
            '; ',
            concat(
                'first purchase on ', {{ member_analytics.as_text('first_purchase_date') }}, ': the ',
                replace(followup, '_', ' '), ' follow-up is due'
            ),
            purchase_words
        ) as reason,
        followup as occasion,
        first_purchase_date as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        false as attaches_product
    from followup_due
    where followup is not null
),

birthdays as (
    select
        *,
        {{ member_analytics.next_anniversary('birth_month', 'birth_day', 'evaluation_date') }} as next_birthday_date
    from described
    where is_registered_member and birth_month is not null and birth_day is not null
),

birthday_care as (
    select
        *,
        'birthday_care' as audience,
        concat_ws(
            '; ',
            case
                when next_birthday_date = evaluation_date then 'birthday today'
                else concat(
                    'birthday on ', {{ member_analytics.as_text('next_birthday_date') }}, ' (in ',
                    {{ member_analytics.count_words(dbt.datediff('evaluation_date', 'next_birthday_date', 'day'), 'day', 'days') }}, ')'
                )
            end,
            tier_words
        ) as reason,
        'birthday' as occasion,
        next_birthday_date as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        false as attaches_product
    from birthdays
    where {{ dbt.datediff('evaluation_date', 'next_birthday_date', 'day') }} <= {{ birthday_days }}
),

promotion_recall as (
    select
        *,
        'promotion_recall' as audience,
        concat_ws(
            '; ',
            concat('favourited or carted during ', recall_promotion_id, ' without buying'),
            concat('return period ends ', {{ member_analytics.as_text('recall_return_period_end_date') }})
        ) as reason,
        recall_promotion_id as occasion,
        recall_return_period_end_date as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        true as attaches_product
    from described
    where recall_promotion_id is not null
),

promotions_on as (
    select
        described.*,
        promotion_windows.promotion_id,
        promotion_windows.promotion_date,
        row_number() over (
            partition by described.shop_id, described.member_id, described.evaluation_date
            order by promotion_windows.promotion_date, promotion_windows.promotion_id
        ) as promotion_rank
    from described
    inner join promotion_windows
        on
            described.evaluation_date >= promotion_windows.preheat_start_date
            and described.evaluation_date
            <= {{ member_analytics.add_days('promotion_windows.promotion_date', 'promotion_windows.promotion_days - 1') }}
    where described.recency_band = 'active_period'
),

big_promotion_focus as (
    select
        *,
        'big_promotion_focus' as audience,
        concat_ws(
            '; ',
            concat(promotion_id, ' on ', {{ member_analytics.as_text('promotion_date') }}),
            purchase_words,
            tier_words
        ) as reason,
        promotion_id as occasion,
        promotion_date as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        true as attaches_product
    from promotions_on
    where promotion_rank = 1
),

tipping_point_nudge as (
    select
        *,
        'tipping_point_nudge' as audience,
        concat_ws(
            '; ',
            concat(
                case
                    when near_upgrade_basis = 'purchase_count'
                        then concat(
                            {{ member_analytics.as_text('cast(near_upgrade_gap as int)') }},
                            case when near_upgrade_gap = 1 then ' order' else ' orders' end
                        )
                    else concat({{ member_analytics.as_text('near_upgrade_gap') }}, ' yuan')
                end,
                ' to ', near_upgrade_next_tier_name, ' (', near_upgrade_scheme_name, ')'
            ),
            tier_words,
            purchase_words
        ) as reason,
        near_upgrade_scheme_name as occasion,
        cast(null as date) as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        true as attaches_product
    from described
    where is_in_programme and near_upgrade_scheme_name is not null
),

activity_drop as (
    select
        *,
        'activity_drop' as audience,
        concat_ws(
            '; ',
            concat('activity fell from ', lookback_activity_level, ' to ', activity_level),
            case
                when days_since_last_visit is not null
                    then concat('last visit ', {{ member_analytics.count_words('days_since_last_visit', 'day', 'days') }}, ' ago')
            end,
            purchase_words
        ) as reason,
        concat(lookback_activity_level, ' -> ', activity_level) as occasion,
        cast(null as date) as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        false as attaches_product
    from described
    where lookback_activity_group = 'high' and activity_group = 'low'
),

first_order_coupon as (
    select
        *,
        'first_order_coupon' as audience,
        concat(
            'favourited or carted ',
            {{ member_analytics.count_words(dbt.datediff('last_interest_date', 'evaluation_date', 'day'), 'day', 'days') }},
            ' ago; never bought'
        ) as reason,
        'potential' as occasion,
        last_interest_date as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        false as attaches_product
    from described
    where
        not is_buyer
        and last_interest_date > {{ member_analytics.add_days('evaluation_date', '-' ~ interest_days) }}
),

recency_offers as (
    select
        *,
        case recency_band
            when 'sleeping_period' then 'sleeping_winback'
            when 'silent_period' then 'silent_period_offer'
        end as audience,
        concat_ws('; ', purchase_words, replace(recency_band, '_', ' '), tier_words) as reason,
        recency_band as occasion,
        last_purchase_date as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        true as attaches_product
    from described
    where recency_band in ('sleeping_period', 'silent_period')
),

category_coupon as (
    select
        *,
        'category_coupon' as audience,
        concat_ws(
            '; ',
            concat(
                'top category ', top_category, ' is ',
                {{ member_analytics.as_text('cast(round(100 * top_category_share_of_spend) as int)') }}, '% of spend'
            ),
            purchase_words
        ) as reason,
        top_category as occasion,
        cast(null as date) as occasion_date,
        top_category as category,
        false as attaches_product
    from described
    where
        valid_orders >= {{ member_analytics.audience_var('category_coupon_min_orders') }}
        and top_category_share_of_spend >= {{ member_analytics.audience_var('category_coupon_min_share') }}
        and recency_days >= {{ member_analytics.audience_var('category_coupon_min_days_since_purchase') }}
),

stimulus_offer as (
    select
        *,
        'stimulus_offer' as audience,
        concat_ws(
            '; ',
            concat('activity ', activity_level, ', loyalty low'),
            coalesce(purchase_words, 'never bought')
        ) as reason,
        'high_activity_low_loyalty' as occasion,
        cast(null as date) as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        true as attaches_product
    from described
    where activity_group = 'high' and loyalty_level = 'low'
),

high_loyalty_reward as (
    select
        *,
        'high_loyalty_reward' as audience,
        concat_ws('; ', concat('loyalty high, activity ', coalesce(activity_level, 'unknown')), purchase_words, tier_words)
            as reason,
        'high_loyalty' as occasion,
        cast(null as date) as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        false as attaches_product
    from described
    where loyalty_level = 'high'
),

holidays_ahead as (
    select
        described.*,
        holidays.holiday_name,
        holidays.holiday_date,
        row_number() over (
            partition by described.shop_id, described.member_id, described.evaluation_date
            order by holidays.holiday_date, holidays.holiday_name
        ) as holiday_rank
    from described
    inner join holidays
        on
            described.evaluation_date <= holidays.holiday_date
            and holidays.holiday_date <= {{ member_analytics.add_days('described.evaluation_date', holiday_days) }}
    where {{ member_analytics.receives_greetings('described') }}
),

holiday_greeting as (
    select
        *,
        'holiday_greeting' as audience,
        concat_ws(
            '; ',
            concat(holiday_name, ' on ', {{ member_analytics.as_text('holiday_date') }}),
            case when is_registered_member then 'registered member' end,
            purchase_words
        ) as reason,
        holiday_name as occasion,
        holiday_date as occasion_date,
        cast(null as {{ dbt.type_string() }}) as category,
        false as attaches_product
    from holidays_ahead
    where holiday_rank = 1
),

-- the product (or category) the member is due to buy again (fct_audience_repurchase_due)
repurchase_due as (
    select
        described.shop_id,
        described.member_id,
        described.evaluation_date,
        described.as_of_date,
        described.is_as_of_date,
        'repurchase_due' as audience,
        concat_ws(
            '; ',
            concat(
                repurchase_due_items.cycle_level, ' ', repurchase_due_items.item_name, ' last bought ',
                {{ member_analytics.count_words('repurchase_due_items.days_since_purchase', 'day', 'days') }},
                ' ago, bought again every ',
                {{ member_analytics.as_text('cast(round(repurchase_due_items.cycle_days) as int)') }},
                ' days by its repeat buyers'
            ),
            described.purchase_words
        ) as reason,
        repurchase_due_items.item_name as occasion,
        repurchase_due_items.last_purchase_date as occasion_date,
        repurchase_due_items.category,
        repurchase_due_items.product_id is not null as attaches_product,
        repurchase_due_items.product_id as recommended_product_id,
        repurchase_due_items.product_name as recommended_product_name,
        described.has_phone,
        described.is_registered_member,
        described.is_buyer,
        described.is_marketing_opt_out,
        described.last_complaint_date,
        described.recent_net_revenue
    from described
    inner join repurchase_due_items
        on
            described.shop_id = repurchase_due_items.shop_id
            and described.member_id = repurchase_due_items.member_id
            and described.evaluation_date = repurchase_due_items.evaluation_date
),

{%- set rules = ['complaint_followup', 'membership_lapse', 'first_purchase_followup', 'birthday_care',
                 'promotion_recall', 'big_promotion_focus', 'tipping_point_nudge', 'activity_drop',
                 'first_order_coupon', 'recency_offers', 'category_coupon', 'stimulus_offer',
                 'high_loyalty_reward', 'holiday_greeting', 'repurchase_due'] %}

matched as (
    {%- for rule in rules %}
        select
            shop_id,
            member_id,
            evaluation_date,
            as_of_date,
            is_as_of_date,
            audience,
            reason,
            occasion,
            occasion_date,
            category,
            case when attaches_product then recommended_product_id end as product_id,
            case when attaches_product then recommended_product_name end as product_name,
            has_phone,
            is_registered_member,
            is_buyer,
            is_marketing_opt_out,
            last_complaint_date,
            recent_net_revenue
        from {{ rule }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        matched.shop_id,
        matched.member_id,
        matched.evaluation_date,
        matched.as_of_date,
        matched.is_as_of_date,
        matched.audience,
        audiences.audience_name,
        audiences.message_kind,
        cast(audiences.priority as int) as priority,
        audiences.channel,
        audiences.suggested_action,
        matched.reason,
        matched.occasion,
        matched.occasion_date,
        matched.product_id,
        matched.product_name,
        matched.category,
        matched.has_phone,
        matched.is_registered_member,
        matched.is_buyer,
        matched.is_marketing_opt_out,
        matched.last_complaint_date,
        matched.recent_net_revenue
    from matched
    inner join audiences
        on matched.audience = audiences.audience
    where {{ member_analytics.audience_is_enabled('matched.shop_id', 'audiences.audience') }}
)

select * from final
