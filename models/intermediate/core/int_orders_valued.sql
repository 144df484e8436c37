-- One row per shop and kept order: amounts with refunds dated up to as_of_date
-- applied, the valid-purchase flag as of as_of_date, and the member's purchase
-- sequence. Orders dated after as_of_date are kept but never valid purchases.
-- The order rules live here, once (docs/decisions/0001, 0005): fct_orders
-- publishes these rows, and every intermediate model that needs valued orders
-- reads them from here, not from the mart (arrows point down the layers).
-- A table, not a view: fct_orders and the intermediate models of visits, tiers,
-- baskets, the month spine and the member state all read it. Incremental on
-- DuckDB (docs/decisions/0119, 0130): a daily run deletes the orders of the
-- members whose orders changed (int_incremental_changed_order_members: the
-- orders' staging alone is upstream) and appends all their orders valued again
-- (the purchase sequence is a member's whole history).
-- depends_on: {{ ref('int_incremental_changed_order_members') }}
{{ config(**member_analytics.member_keyed_config(
    'delete_changed_members(changes="int_incremental_changed_order_members")')) }}
{%- set state = member_analytics.incremental_state() if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(state) %}

with

orders as (
    select staged.* from {{ ref('stg_shop__orders') }} as staged
    where
        staged.row_status = 'kept'
        and {{ member_analytics.is_changed_member(state, 'staged', 'int_incremental_changed_order_members') }}
),

refunds as (
    select
        *,
        cast(ordered_at as date) as ordered_date,
        {{ member_analytics.order_refunded_amount('refunded_amount', 'status', 'paid_amount') }} as refund_amount,
        {{ member_analytics.order_refund_date('refunded_at', 'updated_at', 'ordered_at') }} as refund_date,
        {{ member_analytics.as_of_date() }} as as_of_date
    from orders
),

as_of as (
    select
        *,
        case
            when refund_date <= as_of_date then refund_amount
            else cast(0 as decimal(18, 2))
        end as applied_refund_amount
    from refunds
),

flagged as (
    select
        *,
        (
            ordered_date <= as_of_date
            and {{ member_analytics.is_valid_purchase('status', 'paid_amount', 'applied_refund_amount') }}
        ) as is_valid_purchase
    from as_of
),

sequenced as (
    select
        *,
        case
            when is_valid_purchase
                then row_number() over (
                    partition by shop_id, member_id, is_valid_purchase
                    order by ordered_at, order_id
                )
        end as purchase_sequence_number
    from flagged
),

final as (
    select
        shop_id,
        order_id,
        member_id,
        status,
        channel,
        case
            when purchase_sequence_number = 1 then 'new'
            when purchase_sequence_number > 1 then 'repeat'
        end as purchase_type,
        cast(paid_amount as decimal(18, 2)) as gross_amount,
        cast(coalesce(discount_amount, 0) as decimal(18, 2)) as discount_amount,
        cast(applied_refund_amount as decimal(18, 2)) as refunded_amount,
        cast(paid_amount - applied_refund_amount as decimal(18, 2)) as net_amount,
        cast(refund_amount as decimal(18, 2)) as refund_amount,
        cast(purchase_sequence_number as bigint) as purchase_sequence_number,
        is_valid_purchase,
        coalesce(purchase_sequence_number > 1, false) as is_repeat_purchase,
        ordered_date > as_of_date as is_after_as_of_date,
        ordered_date,
        case when refund_amount > 0 then refund_date end as refund_date,
        ordered_at,
        refunded_at,
        updated_at
    from sequenced
)

select * from final
