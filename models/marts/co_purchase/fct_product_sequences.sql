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

-- the catalogue's names, from its kept rows as in dim_products, without the
-- events' staging that dim_products needs (docs/decisions/0020)
products as (
    select * from {{ ref('stg_shop__products') }}
    where row_status = 'kept'
),

member_products as (
    select
        shop_id,
        product_id,
        product_key,
        count(distinct member_key) as n_product
    from basket_items
    group by shop_id, product_id, product_key
),

buyers as (
    select
        shop_id,
        count(distinct member_key) as n
    from basket_items
    group by shop_id
),

-- A member's counted basket items on integer keys: day_number is the order
-- date as a number of days, day_period the (sequence_max_days + 1)-day
-- period it falls in. B at most D days after A (and not before: B's order
-- is later, so its date is not earlier) lies in A's period or the next.
member_items as (
    select
        member_key,
        product_key,
        ordered_at,
        day_number,
        {{ member_analytics.integer_divide(
            'day_number', '(' ~ member_analytics.co_purchase_var('sequence_max_days') ~ ' + 1)') }} as day_period
    from (
        select
            member_key,
            product_key,
            ordered_at,
            {{ dbt.datediff("cast('1900-01-01' as date)", 'ordered_date', 'day') }} as day_number
        from basket_items
        where member_key is not null
    ) as dated_items
),

period_offsets as (
    select 0 as period_offset
    union all
    select 1 as period_offset
),

-- Each earlier item looks for later items in its own period and the next:
-- an equi-join on (member, period), so the cost is the sum over members of
-- their items² within two periods, never their whole history², nor the
-- catalogue².
earlier_items as (
    select
        member_items.*,
        member_items.day_period + period_offsets.period_offset as later_period
    from member_items
    cross join period_offsets
),

followed as (
    select distinct
        earlier.member_key,
        earlier.product_key as product_key_a,
        later.product_key as product_key_b
    from earlier_items as earlier
    inner join member_items as later
        on
            earlier.member_key = later.member_key
            and earlier.later_period = later.day_period
            and earlier.ordered_at < later.ordered_at
            and later.day_number <= earlier.day_number + {{ member_analytics.co_purchase_var('sequence_max_days') }}
            and earlier.product_key <> later.product_key
),

sequence_counts as (
    select
        counts_a.shop_id,
        counts_a.product_id as product_id_a,
        counts_b.product_id as product_id_b,
        counts_a.n_product as n_a,
        counts_b.n_product as n_b,
        counted.n_ab
    from (
        select
            product_key_a,
            product_key_b,
            count(*) as n_ab
        from followed
        group by product_key_a, product_key_b
        having count(*) >= {{ member_analytics.co_purchase_var('sequence_min_members') }}
    ) as counted
    inner join member_products as counts_a
        on counted.product_key_a = counts_a.product_key
    inner join member_products as counts_b
        on counted.product_key_b = counts_b.product_key
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
        cast(sequence_counts.n_a as bigint) as n_a,
        cast(sequence_counts.n_b as bigint) as n_b,
        cast(sequence_counts.n_ab as bigint) as n_ab,
        cast(buyers.n as bigint) as n,
        cast({{ member_analytics.co_purchase_var('sequence_max_days') }} as int) as sequence_max_days,
        cast(sequence_counts.n_ab as double) / cast(sequence_counts.n_a as double) as probability_b_after_a,
        cast(sequence_counts.n_b as double) / cast(buyers.n as double) as share_of_buyers_with_b,
        cast(sequence_counts.n_ab as double) * cast(buyers.n as double)
        / (cast(sequence_counts.n_a as double) * cast(sequence_counts.n_b as double)) as lift
    from sequence_counts
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
