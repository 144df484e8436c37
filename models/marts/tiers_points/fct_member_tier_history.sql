-- One row per shop, member, tier scheme and period in a tier: half-open
-- [valid_from, valid_to) in days, valid_to null for the current period, with
-- the change that opened it (docs/decisions/0030): int_member_tier_periods and
-- the build's as_of_date (from rpt_build_metadata, one row). A view on DuckDB
-- (docs/decisions/0121; a table on Spark, which recomputes every build): a daily
-- run rewrites only the periods of the members it recomputes, not every row for
-- its as_of_date.
{{ config(materialized=member_analytics.history_view_materialization()) }}
with

periods as (
    select * from {{ ref('int_member_tier_periods') }}
),

build as (
    select as_of_date from {{ ref('rpt_build_metadata') }}
),

final as (
    select
        periods.shop_id,
        periods.member_id,
        periods.scheme_name,
        periods.basis,
        periods.period_number,
        periods.tier_name,
        periods.tier_rank,
        periods.previous_tier_name,
        periods.previous_tier_rank,
        periods.valid_from,
        periods.valid_to,
        periods.is_current,
        periods.change_direction,
        periods.change_cause,
        periods.term_number,
        periods.cumulative_count,
        periods.cumulative_net_spend,
        build.as_of_date
    from periods
    cross join build
)

select * from final
