-- Question: "After buying a product, what do members most often buy next
-- (within the sequence window), beyond what its popularity explains?" One row
-- per shop and first product: its strongest follow-up by probability among
-- sequences with lift above 1 (ties: higher lift, then the product id).
with

sequences as (
    select * from {{ ref('fct_product_sequences') }}
    where lift > 1
),

ranked as (
    select
        *,
        row_number() over (
            partition by shop_id, product_id_a
            order by probability_b_after_a desc, lift desc, product_id_b asc
        ) as follow_up_rank
    from sequences
),

final as (
    select
        shop_id,
        product_id_a as first_product_id,
        product_name_a as first_product_name,
        product_id_b as next_product_id,
        product_name_b as next_product_name,
        n_a as members_with_first_product,
        n_ab as members_buying_next,
        probability_b_after_a,
        lift
    from ranked
    where follow_up_rank = 1
)

select * from final
order by shop_id asc, members_buying_next desc, first_product_id asc
