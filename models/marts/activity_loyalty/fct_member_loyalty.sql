-- One row per shop and member of dim_members as of as_of_date: valid
-- purchases, purchase days and net revenue in the loyalty window, lifetime
-- purchases, and the loyalty level: high for repeat buying in the window,
-- else low (docs/decisions/0040): int_member_states at as_of_date.
with

member_states as (
    select * from {{ ref('int_member_states') }}
    where is_as_of_date
),

final as (
    select
        shop_id,
        member_id,
        evaluation_date as as_of_date,
        purchases_in_loyalty_window as purchases_in_window,
        purchase_days_in_loyalty_window as purchase_days_in_window,
        net_revenue_in_loyalty_window as net_revenue_in_window,
        valid_purchases as lifetime_purchases,
        loyalty_level
    from member_states
)

select * from final
