-- One row per shop, member, tier scheme and period in a tier: half-open
-- [valid_from, valid_to) in days, valid_to null for the current period, with
-- the change that opened it (docs/decisions/0030). Tiers band the end-of-day
-- measures of int_member_tier_states with the seed tier_schemes; `lapsed`
-- after a lapse, `below_entry` under a scheme's lowest bound. The rows of
-- fct_member_tier_history, which adds the build's as_of_date.
-- Incremental by member on DuckDB (docs/decisions/0121): a daily run recomputes
-- the members whose tier states it recomputed (the changed members and those
-- whose lapse the moving as_of_date crosses), from their whole history.
-- depends_on: {{ ref('int_incremental_changed_members') }}, {{ ref('int_as_of_date') }}
{{ config(**member_analytics.member_keyed_config('delete_tier_keyed_members()')) }}
{%- set state = member_analytics.incremental_state() if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(state) %}
with

states as (
    select states.* from {{ ref('int_member_tier_states') }} as states
    where {{ member_analytics.is_tier_changed_member(state, 'states') }}
),

schemes as (
    select * from {{ ref('tier_schemes') }}
),

bands as (
    select * from {{ ref('int_tier_bands') }}
),

scheme_list as (
    select distinct
        scheme_name,
        basis
    from schemes
),

measured as (
    select
        states.*,
        scheme_list.scheme_name,
        scheme_list.basis,
        {{ member_analytics.tier_measure('scheme_list.basis', 'states.cumulative_count', 'states.cumulative_net_spend') }}
            as measure
    from states
    cross join scheme_list
),

tiered as (
    select
        measured.*,
        case
            when not measured.is_in_programme then 'lapsed'
            else coalesce(bands.tier_name, 'below_entry')
        end as tier_name,
        case
            when not measured.is_in_programme then 0
            else coalesce(bands.tier_rank, 0)
        end as tier_rank
    from measured
    left join bands
        on
            measured.scheme_name = bands.scheme_name
            and measured.is_in_programme
            and measured.measure >= bands.lower_bound
            and (bands.upper_bound is null or measured.measure < bands.upper_bound)
),

compared as (
    select
        *,
        lag(tier_name) over (
            partition by shop_id, member_id, scheme_name
            order by state_date
        ) as previous_tier_name,
        lag(tier_rank) over (
            partition by shop_id, member_id, scheme_name
            order by state_date
        ) as previous_tier_rank
    from tiered
),

changed as (
    select * from compared
    where previous_tier_name is null or tier_name != previous_tier_name
),

periods as (
    select
        *,
        lead(state_date) over (
            partition by shop_id, member_id, scheme_name
            order by state_date
        ) as valid_to,
        row_number() over (
            partition by shop_id, member_id, scheme_name
            order by state_date
        ) as period_number,
        case
            when previous_tier_name is null then 'first'
            when not is_in_programme then 'lapse'
            when previous_tier_name = 'lapsed' then 'return'
            when tier_rank > previous_tier_rank then 'up'
            else 'down'
        end as change_direction
    from changed
),

final as (
    select
        shop_id,
        member_id,
        scheme_name,
        basis,
        cast(period_number as int) as period_number,
        tier_name,
        cast(tier_rank as int) as tier_rank,
        previous_tier_name,
        cast(previous_tier_rank as int) as previous_tier_rank,
        state_date as valid_from,
        valid_to,
        valid_to is null as is_current,
        change_direction,
        case
            when change_direction = 'lapse' then lapse_cause
            when change_direction = 'down' then 'refund'
            else 'purchase'
        end as change_cause,
        term_number,
        cumulative_count,
        cumulative_net_spend
    from periods
)

select * from final
