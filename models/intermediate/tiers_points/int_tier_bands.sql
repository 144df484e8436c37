-- One row per tier scheme and tier (seed tier_schemes): the tier as a band
-- [lower_bound, upper_bound) of the scheme's measure, and the next tier up
-- (docs/decisions/0030). The tier history, the current tiers and the audience
-- facts read the bands here.
with

schemes as (
    select * from {{ ref('tier_schemes') }}
),

final as (
    select
        scheme_name,
        basis,
        cast(tier_rank as int) as tier_rank,
        tier_name,
        cast(lower_bound as decimal(18, 2)) as lower_bound,
        cast(lead(lower_bound) over (partition by scheme_name order by tier_rank) as decimal(18, 2)) as upper_bound,
        lead(tier_name) over (partition by scheme_name order by tier_rank) as next_tier_name,
        benefits
    from schemes
)

select * from final
