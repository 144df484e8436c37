-- One row per evaluation date of the member state (docs/decisions/0040): the
-- history's snapshot dates (every month end since the first kept order, and
-- as_of_date for its own month: int_months_spined), as_of_date, the day
-- before it, and the audiences' lookback days (each audience evaluation day,
-- as_of_date and the day before, minus audiences__activity_drop_lookback_days),
-- each flagged by its roles. A date with several roles is one row. The two
-- audience days carry their lookback date: the one definition of it.
{%- set lookback = member_analytics.audience_var('activity_drop_lookback_days') %}
with

months as (
    select * from {{ ref('int_months_spined') }}
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

audience_days as (
    select
        as_of_date as evaluation_date,
        true as is_as_of_date
    from as_of

    union all

    select
        {{ member_analytics.add_days('as_of_date', -1) }} as evaluation_date,
        false as is_as_of_date
    from as_of
),

roles as (
    select
        snapshot_date as evaluation_date,
        'history_snapshot' as evaluation_role,
        cast(null as date) as lookback_date
    from months

    union all

    select
        evaluation_date,
        case when is_as_of_date then 'as_of_date' else 'day_before_as_of_date' end as evaluation_role,
        {{ member_analytics.add_days('evaluation_date', '-(' ~ lookback ~ ')') }} as lookback_date
    from audience_days

    union all

    select
        {{ member_analytics.add_days('evaluation_date', '-(' ~ lookback ~ ')') }} as evaluation_date,
        'lookback' as evaluation_role,
        cast(null as date) as lookback_date
    from audience_days
),

final as (
    select
        roles.evaluation_date,
        max(case when roles.evaluation_role = 'history_snapshot' then 1 else 0 end) = 1 as is_history_snapshot_date,
        max(case when roles.evaluation_role = 'as_of_date' then 1 else 0 end) = 1 as is_as_of_date,
        max(case when roles.evaluation_role = 'day_before_as_of_date' then 1 else 0 end) = 1
            as is_day_before_as_of_date,
        max(case when roles.evaluation_role = 'lookback' then 1 else 0 end) = 1 as is_lookback_date,
        as_of.as_of_date,
        max(roles.lookback_date) as lookback_date
    from roles
    cross join as_of
    group by roles.evaluation_date, as_of.as_of_date
)

select * from final
