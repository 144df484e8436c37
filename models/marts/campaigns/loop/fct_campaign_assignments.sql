-- One row per shop, member, audience and day assigned to a campaign arm: the
-- days this warehouse's builds logged (fct_campaign_assignment_log,
-- assignment_source 'build') and, for days they did not log, the assignments imported from raw
-- campaign_assignments (assignment_source 'import'). Suppressed rows stay: outcomes are
-- measured by assignment, whether or not a message went out
-- (docs/decisions/0123).
with

logged as (
    select * from {{ ref('fct_campaign_assignment_log') }}
),

imported as (
    select * from {{ ref('stg_shop__campaign_assignments') }}
    where row_status = 'kept'
),

audiences as (
    select * from {{ ref('campaign_audiences') }}
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

imported_only as (
    select
        imported.shop_id,
        imported.member_id,
        imported.audience,
        audiences.message_kind,
        audiences.channel,
        imported.arm,
        cast(null as boolean) as is_suppressed,
        cast(null as {{ dbt.type_string() }}) as suppression_reason,
        imported.assigned_date as assignment_date,
        'import' as assignment_source
    from imported
    left join audiences
        on imported.audience = audiences.audience
    where not exists (
        select 1 from logged
        where
            logged.shop_id = imported.shop_id
            and logged.assignment_date = imported.assigned_date
    )
),

unioned as (
    select
        shop_id,
        member_id,
        audience,
        message_kind,
        channel,
        arm,
        is_suppressed,
        suppression_reason,
        assignment_date,
        'build' as assignment_source
    from logged
    union all
    select * from imported_only
),

final as (
    select
        unioned.shop_id,
        unioned.member_id,
        unioned.audience,
        unioned.assignment_date,
        unioned.arm,
        unioned.arm = 'holdout' as is_holdout,
        unioned.is_suppressed,
        unioned.suppression_reason,
        unioned.message_kind,
        unioned.channel,
        unioned.assignment_source
    from unioned
    cross join as_of
    where unioned.assignment_date <= as_of.as_of_date
)

select * from final
