-- One row per shop and member of dim_members: every declared trait (seed
-- member_traits) as a column of its own, in trait_order (docs/decisions/0124).
-- The columns follow the seed, so this report has no enforced contract:
-- fct_member_traits is the stable long form. Counts and sums are 0 for a member
-- with no matching event; dates and most-frequent values are null then.
-- depends_on: {{ ref('member_traits') }}
{%- set traits = member_analytics.declared_traits() %}

with

members as (
    select
        shop_id,
        member_id
    from {{ ref('dim_members') }}
),

traits as (
    select * from {{ ref('fct_member_traits') }}
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

final as (
    select
        members.shop_id,
        members.member_id,
        {%- for trait in traits %}
        {{ member_analytics.trait_pivot(trait) }} as {{ adapter.quote(trait.name) }},
        {%- endfor %}
        as_of.as_of_date
    from members
    cross join as_of
    -- the trait columns come from the seed; compiled without it (sqlfluff) there are none
    left join traits  -- noqa: ST11
        on
            members.shop_id = traits.shop_id
            and members.member_id = traits.member_id
    group by members.shop_id, members.member_id, as_of.as_of_date
)

select * from final
