-- Question: "What is wrong with our members, shop by shop?" One row per shop:
-- of the three cells that need work (all but high activity × high loyalty),
-- the one holding most members, with its diagnosis and suggested action.
with

matrix as (
    select * from {{ ref('rpt_activity_loyalty_matrix') }}
),

ranked as (
    select
        *,
        row_number() over (partition by shop_id order by members desc, cell_name asc) as cell_rank
    from matrix
    where not (activity_group = 'high' and loyalty_level = 'high')
),

final as (
    select
        shop_id,
        cell_name,
        members,
        share_of_members,
        diagnosis,
        suggested_action
    from ranked
    where cell_rank = 1
)

select * from final
order by shop_id asc
