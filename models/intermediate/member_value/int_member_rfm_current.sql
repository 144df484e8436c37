-- One row per shop and member with at least one valid purchase by as_of_date: the
-- as_of_date snapshot of RFM, scored among the shop's members at that date (macro
-- rfm_scored_ctes; docs/decisions/0010), with the segment, the recency band and the
-- ladder rung. fct_member_rfm publishes it, and int_member_rfm_scored takes it as its
-- as_of_date snapshot, so the current RFM is computed from the orders alone, not
-- from the history's month ends (docs/decisions/0129).
--
-- Why this is the order rules' own as-of state (int_orders_valued, which fct_orders
-- publishes), so the current mart keeps the answer it had when it read
-- is_valid_purchase and net_amount: the orders taken are those dated on or before
-- as_of_date (not is_after_as_of_date), the refund applied is refund_amount when
-- refund_date <= as_of_date, else 0 (int_orders_valued' applied_refund_amount; its
-- refund_date column is null only when the refund is 0), and validity is the same
-- is_valid_purchase over gross_amount (paid_amount as decimal(18, 2)) and that
-- refund: so `purchases_at_as_of_date` holds exactly the orders with
-- is_valid_purchase, and gross_amount − refund is their net_amount. When as_of_date
-- is a month end, int_months_spined has one snapshot on it (the month end,
-- is_partial_month false), not two.
{{ config(materialized='table') }}
with

orders as (
    select * from {{ ref('int_orders_valued') }}
    where not is_after_as_of_date and ordered_date <= {{ member_analytics.as_of_date() }}
),

as_of_date_snapshot as (
    select
        *,
        true as is_as_of_date_snapshot
    from {{ ref('int_months_spined') }}
    where snapshot_date = as_of_date
),

-- every order on or before as_of_date, its refund applied when dated on or before it:
-- the orders beside the one snapshot row (a cross join, not a join on ordered_date <=
-- snapshot_date, which DuckDB runs as a sort of every order; the orders are already
-- those on or before as_of_date)
orders_at_as_of_date as (
    select
        orders.shop_id,
        orders.member_id,
        orders.status,
        orders.gross_amount,
        case
            when orders.refund_date <= as_of_date_snapshot.snapshot_date then orders.refund_amount
            else cast(0 as decimal(18, 2))
        end as applied_refund_amount,
        as_of_date_snapshot.is_partial_month,
        as_of_date_snapshot.is_as_of_date_snapshot,
        orders.ordered_date,
        as_of_date_snapshot.snapshot_date,
        as_of_date_snapshot.as_of_date
    from orders
    cross join as_of_date_snapshot
),

purchases_at_as_of_date as (
    select * from orders_at_as_of_date
    where {{ member_analytics.is_valid_purchase('status', 'gross_amount', 'applied_refund_amount') }}
),

members as (
    select
        shop_id,
        member_id,
        snapshot_date,
        is_partial_month,
        is_as_of_date_snapshot,
        as_of_date,
        count(*) as frequency,
        count(distinct ordered_date) as purchase_days,
        sum(gross_amount - applied_refund_amount) as monetary,
        min(ordered_date) as first_purchase_date,
        max(ordered_date) as last_purchase_date
    from purchases_at_as_of_date
    group by shop_id, member_id, snapshot_date, is_partial_month, is_as_of_date_snapshot, as_of_date
),

{{ member_analytics.rfm_scored_ctes('members') }},

final as (
    select * from scored_members
)

select * from final
