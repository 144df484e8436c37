-- One row per shop, cycle level (product, category), item, member and day on
-- which the member made a valid purchase holding the item, up to as_of_date
-- (macro item_purchase_days): the member's previous purchase day of the item
-- and the days since it, which purchase day of the member's it is, and whether
-- it is the member's latest. Read by the items' repurchase cycles
-- (fct_audience_item_cycles) and the repurchase_due audience
-- (fct_audience_repurchase_due), which computed these days each on its own,
-- and by the member recommendations (the products a member bought, and when
-- last: fct_member_recommendations) (docs/decisions/0122, 0135).
--
-- Member-keyed, incremental on DuckDB (docs/decisions/0134, 0135): a member's
-- rows read only their own valid purchase lines and the catalogue, so a daily
-- run deletes and recomputes the changed members (int_incremental_changed_members)
-- and every member when the catalogue changed. No as_of_date column: a member's
-- days do not change with the date alone.
-- depends_on: {{ ref('int_incremental_changed_members') }}
{{ config(**member_analytics.member_keyed_config('delete_changed_members(["order_items"], unkeyed=["products"])')) }}
{%- set state = member_analytics.member_keyed_state(['order_items'], ['products']) if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(state) %}
with

order_items as (
    select order_items.* from {{ ref('fct_order_items') }} as order_items
    where order_items.is_valid_purchase and {{ member_analytics.is_changed_member(state, 'order_items') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

item_days as (
    {{ member_analytics.item_purchase_days('order_items', 'products') }}
),

-- the three windows share one partition and order: one sort
numbered as (
    select
        shop_id,
        member_id,
        cycle_level,
        item_id,
        ordered_date,
        lag(ordered_date) over (
            partition by shop_id, cycle_level, item_id, member_id order by ordered_date
        ) as previous_purchase_date,
        row_number() over (
            partition by shop_id, cycle_level, item_id, member_id order by ordered_date
        ) as purchase_day_number,
        lead(ordered_date) over (
            partition by shop_id, cycle_level, item_id, member_id order by ordered_date
        ) as next_purchase_date
    from item_days
),

final as (
    select
        shop_id,
        member_id,
        cycle_level,
        item_id,
        ordered_date as purchase_date,
        previous_purchase_date,
        {{ dbt.datediff('previous_purchase_date', 'ordered_date', 'day') }} as gap_days,
        cast(purchase_day_number as bigint) as purchase_day_number,
        next_purchase_date is null as is_last_purchase_day
    from numbered
)

select * from final
