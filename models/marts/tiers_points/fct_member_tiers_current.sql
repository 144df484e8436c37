-- One row per shop, buyer and tier scheme as of as_of_date: the tier held now,
-- the measures now (they may have moved since the last change), the next tier
-- and the gap to it in orders or money, and whether the member is near the
-- upgrade, the tipping point worth a nudge (docs/decisions/0030).
with

history as (
    select * from {{ ref('fct_member_tier_history') }}
    where is_current
),

states as (
    select * from {{ ref('int_member_tier_states') }}
),

bands as (
    select * from {{ ref('int_tier_bands') }}
),

latest_states as (
    select * from (
        select
            *,
            row_number() over (partition by shop_id, member_id order by state_date desc) as recency_rank
        from states
    ) as ranked
    where recency_rank = 1
),

joined as (
    select
        history.shop_id,
        history.member_id,
        history.scheme_name,
        history.basis,
        history.tier_name,
        history.tier_rank,
        history.valid_from as tier_since_date,
        history.change_direction as last_change_direction,
        history.term_number,
        latest_states.is_in_programme,
        latest_states.cumulative_count,
        latest_states.cumulative_net_spend,
        latest_states.projected_lapse_date,
        history.as_of_date,
        {{ member_analytics.tier_measure('history.basis', 'latest_states.cumulative_count', 'latest_states.cumulative_net_spend') }}
            as measure,
        current_band.benefits,
        next_band.tier_name as next_tier_name,
        next_band.lower_bound as next_tier_lower_bound
    from history
    inner join latest_states
        on
            history.shop_id = latest_states.shop_id
            and history.member_id = latest_states.member_id
    left join bands as current_band
        on
            history.scheme_name = current_band.scheme_name
            and history.tier_rank = current_band.tier_rank
    left join bands as next_band
        on
            history.scheme_name = next_band.scheme_name
            and latest_states.is_in_programme
            and next_band.tier_rank = history.tier_rank + 1
),

final as (
    select
        shop_id,
        member_id,
        scheme_name,
        basis,
        as_of_date,
        tier_name,
        tier_rank,
        benefits,
        tier_since_date,
        cast({{ dbt.datediff('tier_since_date', 'as_of_date', 'day') }} as int) as days_in_tier,
        last_change_direction,
        term_number,
        is_in_programme,
        cumulative_count,
        cumulative_net_spend,
        next_tier_name,
        next_tier_lower_bound,
        cast(next_tier_lower_bound - measure as decimal(18, 2)) as gap_to_next_tier,
        {{ member_analytics.is_near_upgrade('basis', 'next_tier_lower_bound', 'measure') }} as is_near_upgrade,
        case when is_in_programme then projected_lapse_date end as lapses_on
    from joined
)

select * from final
