-- Question: "Which new products look like best-sellers?" Products whose
-- trial window is complete, flagged likely best-sellers (favourite + cart
-- rate at or above the var, 6% by default) and seen by at least 5 visitors in
-- the window (fewer is too small a sample to trust a rate), best rate first:
-- give them traffic and stock before the next promotion.
with

trials as (
    select * from {{ ref('fct_product_trial_metrics') }}
),

final as (
    select
        shop_id,
        product_id,
        product_name,
        category,
        launched_date,
        number_of_visitors,
        number_of_favourite_members,
        number_of_cart_members,
        number_of_buyers,
        favourite_cart_rate,
        conversion_rate
    from trials
    where
        is_window_complete
        and is_likely_best_seller
        and number_of_visitors >= 5
)

select * from final
order by shop_id asc, favourite_cart_rate desc, number_of_visitors desc, product_id asc
