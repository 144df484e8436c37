-- One row per shop, member and recommended product: the top
-- recommendations_per_member catalogue products the member has never bought
-- (no valid purchase up to as_of_date), scored from the products of their
-- recent valid orders (recent_purchase_days up to as_of_date). For each
-- recent product A, a candidate B earns confidence(A → B) when B is in A's
-- "also bought" list (fct_product_recommendations) and P(B after A) when B is
-- among A's top "bought later" sequences with a lift above
-- recommendation_min_lift; score = the sum over the member's recent products.
-- Ties: the product id. Members without recent purchases get no rows
-- (docs/decisions/0022).
with

-- each product a member bought (valid purchases up to as_of_date), once: their
-- last purchase day of it (audience_rules.fct_audience_item_purchase_days, the
-- purchase days stored by member; docs/decisions/0135)
bought as (
    select
        shop_id,
        member_id,
        item_id as product_id,
        purchase_date as last_purchase_date
    from {{ ref('fct_audience_item_purchase_days') }}
    where cycle_level = 'product' and is_last_purchase_day
),

product_recommendations as (
    select * from {{ ref('fct_product_recommendations') }}
),

sequences as (
    select * from {{ ref('fct_product_sequences') }}
    where lift > {{ member_analytics.co_purchase_var('recommendation_min_lift') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

sellable_products as (
    select * from products
    where is_in_catalog
),

-- the products bought in the recent days: their last purchase day is in them
recent as (
    select
        shop_id,
        member_id,
        product_id
    from bought
    where last_purchase_date > {{ member_analytics.add_days(
        member_analytics.as_of_date(), '-' ~ member_analytics.co_purchase_var('recent_purchase_days')) }}
),

-- Each product's top "bought later" products, like its "also bought" list,
-- so a member's candidates stay bounded by recent products × 2 K.
top_sequences as (
    select
        shop_id,
        product_id_a,
        product_id_b,
        probability_b_after_a
    from sequences
    qualify row_number() over (
        partition by shop_id, product_id_a
        order by {{ member_analytics.ranking_order(['probability_b_after_a', 'lift'], ['product_id_b']) }}
    ) <= {{ member_analytics.co_purchase_var('recommendations_per_product') }}
),

-- Each product's candidates, once: the "also bought" list and the top
-- sequences merged per (product, candidate), catalogue products only. Both
-- lists are unique per (product, candidate), so a member's row per recent
-- product and candidate is one source product.
product_signals as (
    select
        coalesce(product_recommendations.shop_id, top_sequences.shop_id) as shop_id,
        coalesce(product_recommendations.product_id, top_sequences.product_id_a) as source_product_id,
        coalesce(product_recommendations.recommended_product_id, top_sequences.product_id_b) as product_id,
        coalesce(cast(product_recommendations.confidence as double), 0.0) as pair_score,
        coalesce(cast(top_sequences.probability_b_after_a as double), 0.0) as sequence_score
    from product_recommendations
    full outer join top_sequences
        on
            product_recommendations.shop_id = top_sequences.shop_id
            and product_recommendations.product_id = top_sequences.product_id_a
            and product_recommendations.recommended_product_id = top_sequences.product_id_b
),

sellable_signals as (
    select product_signals.*
    from product_signals
    inner join sellable_products
        on
            product_signals.shop_id = sellable_products.shop_id
            and product_signals.product_id = sellable_products.product_id
),

scored as (
    select
        recent.shop_id,
        recent.member_id,
        sellable_signals.product_id,
        sum(sellable_signals.pair_score) as pair_score,
        sum(sellable_signals.sequence_score) as sequence_score,
        count(*) as number_of_source_products
    from recent
    inner join sellable_signals
        on
            recent.shop_id = sellable_signals.shop_id
            and recent.product_id = sellable_signals.source_product_id
    group by recent.shop_id, recent.member_id, sellable_signals.product_id
),

candidates as (
    select scored.*
    from scored
    left join bought
        on
            scored.shop_id = bought.shop_id
            and scored.member_id = bought.member_id
            and scored.product_id = bought.product_id
    where bought.product_id is null
),

-- The top recommendations_per_member candidates of each member, ranked on the
-- score rounded to 9 decimals: a sum of doubles may differ in its last digits
-- from run to run (parallel aggregation), which must not reorder equal
-- scores; ties then go to the product id. The filter stands right above the
-- window (macro ranking_order: DuckDB then keeps the top rows per member
-- without sorting every candidate).
ranked as (
    select *
    from (
        select
            *,
            pair_score + sequence_score as score,
            row_number() over (
                partition by shop_id, member_id
                order by {{ member_analytics.ranking_order(['round(pair_score + sequence_score, 9)'], ['product_id']) }}
            ) as recommendation_rank
        from candidates
    ) as numbered
    where recommendation_rank <= {{ member_analytics.co_purchase_var('recommendations_per_member') }}
),

final as (
    select
        ranked.shop_id,
        ranked.member_id,
        ranked.product_id,
        cast(ranked.recommendation_rank as int) as recommendation_rank,
        products.product_name,
        products.category,
        products.brand,
        cast(ranked.number_of_source_products as bigint) as number_of_source_products,
        -- sums of doubles differ in the last bits between engines and runs:
        -- rounded so rebuilds and engines agree (ranks use the same rounding)
        round(ranked.score, 9) as score,
        round(ranked.pair_score, 9) as pair_score,
        round(ranked.sequence_score, 9) as sequence_score
    from ranked
    inner join products
        on
            ranked.shop_id = products.shop_id
            and ranked.product_id = products.product_id
)

select * from final
