-- One row per shop and kept order: amounts with refunds dated up to as_of_date
-- applied, the valid-purchase flag as of as_of_date, and the member's purchase
-- sequence. Orders dated after as_of_date are kept but never valid purchases.
-- The rules are in int_orders_valued; this mart publishes its rows.
-- Incremental on DuckDB (docs/decisions/0091, 0130): a daily run deletes the rows
-- of the members whose orders changed since the previous build
-- (int_incremental_changed_order_members) and appends all their orders recomputed
-- (the purchase sequence is a member's whole history).
-- depends_on: {{ ref('int_incremental_changed_order_members') }}
{{ config(**member_analytics.member_keyed_config(
    'delete_changed_members(changes="int_incremental_changed_order_members")')) }}
{%- set state = member_analytics.incremental_state() if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(state) %}

with

orders as (
    select valued.*
    from {{ ref('int_orders_valued') }} as valued
    where {{ member_analytics.is_changed_member(state, 'valued', 'int_incremental_changed_order_members') }}
),

final as (
    select
        shop_id,
        order_id,
        member_id,
        status,
        channel,
        purchase_type,
        gross_amount,
        discount_amount,
        refunded_amount,
        net_amount,
        refund_amount,
        purchase_sequence_number,
        is_valid_purchase,
        is_repeat_purchase,
        is_after_as_of_date,
        ordered_date,
        refund_date,
        ordered_at,
        refunded_at,
        updated_at
    from orders
)

select * from final
