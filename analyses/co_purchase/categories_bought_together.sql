-- Question: "Which categories end up in the same basket more often than
-- chance would have it?" (cross-category coupons and page placement). One
-- row per shop and category pair with lift above 1, strongest first.
with

category_pairs as (
    select * from {{ ref('fct_category_pairs') }}
),

final as (
    select
        shop_id,
        category_a,
        category_b,
        n_ab as baskets_with_both,
        support,
        confidence_a_to_b,
        confidence_b_to_a,
        lift
    from category_pairs
    where lift > 1
)

select * from final
order by shop_id asc, lift desc, category_a asc, category_b asc
