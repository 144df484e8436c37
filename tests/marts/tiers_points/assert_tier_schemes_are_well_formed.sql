-- Every scheme of the seed tier_schemes has one basis, ranks 1..n with no gap,
-- bounds that rise with the rank, and no tier named like the project's own
-- lapsed and below_entry. Returns the offending rows.
with

schemes as (
    select * from {{ ref('tier_schemes') }}
),

checked as (
    select
        scheme_name,
        tier_rank,
        tier_name,
        lower_bound,
        min(basis) over (partition by scheme_name) as lowest_basis,
        max(basis) over (partition by scheme_name) as highest_basis,
        row_number() over (partition by scheme_name order by tier_rank) as expected_rank,
        lag(lower_bound) over (partition by scheme_name order by tier_rank) as previous_lower_bound
    from schemes
)

select * from checked
where
    lowest_basis != highest_basis
    or tier_rank != expected_rank
    or lower_bound <= previous_lower_bound
    or tier_name in ('lapsed', 'below_entry')
