-- One row per tier change of a shop's member in a scheme: entering the
-- programme, every upgrade and downgrade, every lapse and return, with the
-- tiers before and after (docs/decisions/0030). The opening events of the
-- periods in fct_member_tier_history.
-- A view on DuckDB like the history it projects (docs/decisions/0121, 0133; a
-- table on Spark): every row carries the build's as_of_date, so a table would be
-- rewritten whole by every daily run.
{{ config(materialized=member_analytics.history_view_materialization()) }}
with

history as (
    select * from {{ ref('fct_member_tier_history') }}
),

final as (
    select
        shop_id,
        member_id,
        scheme_name,
        basis,
        valid_from as change_date,
        previous_tier_name as from_tier_name,
        previous_tier_rank as from_tier_rank,
        tier_name as to_tier_name,
        tier_rank as to_tier_rank,
        change_direction,
        change_cause,
        cast(case
            when change_direction in ('up', 'down') then tier_rank - previous_tier_rank
        end as int) as tiers_moved,
        cumulative_count,
        cumulative_net_spend,
        as_of_date
    from history
)

select * from final
