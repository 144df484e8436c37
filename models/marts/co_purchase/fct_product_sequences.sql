-- One row per shop and ordered product pair (A, B), A ≠ B: members who bought
-- A, and of them those who bought B in a strictly later valid order (a later
-- ordered_at) at most sequence_max_days days after A, for pairs with at least
-- sequence_min_members such members. probability_b_after_a = n_ab / n_a;
-- lift = that ÷ (n_b / n), n_b the buyers of B and n the shop's buyers, all
-- counted on the co-purchase baskets (window, oversized left out;
-- docs/decisions/0021).
with

basket_items as (
    select * from {{ ref('int_basket_items_deduplicated') }}
    where not is_oversized
),

products as (
    select * from {{ ref('dim_products') }}
),

member_products as (
    select
        shop_id,
        product_id,
        count(distinct member_id) as n_product
    from basket_items
    group by shop_id, product_id
),

buyers as (
    select
        shop_id,
        count(distinct member_id) as n
    from basket_items
    group by shop_id
),

-- Each member's items against their own later items: the cost is the sum
-- over members of their items², never the catalogue².
followed as (
    select distinct
        earlier.shop_id,
        earlier.member_id,
        earlier.product_id as product_id_a,
        later.product_id as product_id_b
    from basket_items as earlier
    inner join basket_items as later
        on
            earlier.shop_id = later.shop_id
            and earlier.member_id = later.member_id
            and earlier.ordered_at < later.ordered_at
            and cast({{ dbt.dateadd(
                'day', member_analytics.co_purchase_var('sequence_max_days'), 'earlier.ordered_date') }} as date)
            >= later.ordered_date
            and earlier.product_id <> later.product_id
),

sequence_counts as (
    select
        shop_id,
        product_id_a,
        product_id_b,
        count(*) as n_ab
    from followed
    group by shop_id, product_id_a, product_id_b
    having count(*) >= {{ member_analytics.co_purchase_var('sequence_min_members') }}
),

final as (
    select
        sequence_counts.shop_id,
        sequence_counts.product_id_a,
        sequence_counts.product_id_b,
        products_a.product_name as product_name_a,
        products_b.product_name as product_name_b,
        products_a.category as category_a,
        products_b.category as category_b,
        cast(counts_a.n_product as bigint) as n_a,
        cast(counts_b.n_product as bigint) as n_b,
        cast(sequence_counts.n_ab as bigint) as n_ab,
        cast(buyers.n as bigint) as n,
        cast({{ member_analytics.co_purchase_var('sequence_max_days') }} as int) as sequence_max_days,
        cast(sequence_counts.n_ab as double) / cast(counts_a.n_product as double) as probability_b_after_a,
        cast(counts_b.n_product as double) / cast(buyers.n as double) as share_of_buyers_with_b,
        cast(sequence_counts.n_ab as double) * cast(buyers.n as double)
        / (cast(counts_a.n_product as double) * cast(counts_b.n_product as double)) as lift
    from sequence_counts
    inner join member_products as counts_a
        on
            sequence_counts.shop_id = counts_a.shop_id
            and sequence_counts.product_id_a = counts_a.product_id
    inner join member_products as counts_b
        on
            sequence_counts.shop_id = counts_b.shop_id
            and sequence_counts.product_id_b = counts_b.product_id
    inner join buyers
        on sequence_counts.shop_id = buyers.shop_id
    left join products as products_a
        on
            sequence_counts.shop_id = products_a.shop_id
            and sequence_counts.product_id_a = products_a.product_id
    left join products as products_b
        on
            sequence_counts.shop_id = products_b.shop_id
            and sequence_counts.product_id_b = products_b.product_id
)

select * from final
