-- The as_of_date row of fct_member_lifecycle_history is fct_member_lifecycle:
-- the same members, and the same stage, rule, counts and dates. Since
-- docs/decisions/0136 the current mart takes the stage, rule and counts from the
-- snapshots' as_of_date rows, so this checks its joins (every member once, the
-- entry and purchase dates beside them); the rule itself is checked by the
-- snapshots' and the stage runs' unit tests and, the two computed apart, by
-- assert_lifecycle_history_agrees_with_entry_dates (docs/decisions/0125).
with

current_stages as (
    select * from {{ ref('fct_member_lifecycle') }}
),

latest_history as (
    select * from {{ ref('fct_member_lifecycle_history') }}
    where is_as_of_date
)

select
    coalesce(current_stages.shop_id, latest_history.shop_id) as shop_id,
    coalesce(current_stages.member_id, latest_history.member_id) as member_id
from current_stages
full outer join latest_history
    on
        current_stages.shop_id = latest_history.shop_id
        and current_stages.member_id = latest_history.member_id
where
    current_stages.member_id is null
    or latest_history.member_id is null
    or current_stages.lifecycle_stage <> latest_history.lifecycle_stage
    or current_stages.stage_rule <> latest_history.stage_rule
    or current_stages.stage_order <> latest_history.stage_order
    or current_stages.number_of_purchase_days <> latest_history.number_of_purchase_days
    or current_stages.purchase_days_in_loyal_window <> latest_history.purchase_days_in_loyal_window
    or current_stages.has_favorite_or_cart <> latest_history.has_favorite_or_cart
    or current_stages.as_of_date <> latest_history.snapshot_date
    or not (
        current_stages.first_purchase_date = latest_history.first_purchase_date
        or (current_stages.first_purchase_date is null and latest_history.first_purchase_date is null)
    )
    or not (
        current_stages.first_favorite_or_cart_date = latest_history.first_favorite_or_cart_date
        or (current_stages.first_favorite_or_cart_date is null and latest_history.first_favorite_or_cart_date is null)
    )
