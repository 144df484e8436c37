-- The as_of_date snapshot of fct_member_rfm_history is fct_member_rfm: same
-- members, same values in every column. Both select int_member_rfm_scored; this
-- guards the current mart's filter (is_as_of_date_snapshot) against the history's
-- own notion of the latest snapshot (snapshot_date = as_of_date).
with

current_rfm as (
    select * from {{ ref('fct_member_rfm') }}
),

latest_history as (
    select * from {{ ref('fct_member_rfm_history') }}
    where snapshot_date = as_of_date
)

select
    coalesce(current_rfm.shop_id, latest_history.shop_id) as shop_id,
    coalesce(current_rfm.member_id, latest_history.member_id) as member_id
from current_rfm
full outer join latest_history
    on
        current_rfm.shop_id = latest_history.shop_id
        and current_rfm.member_id = latest_history.member_id
where
    current_rfm.member_id is null
    or latest_history.member_id is null
    or current_rfm.rfm_segment <> latest_history.rfm_segment
    or current_rfm.recency_band <> latest_history.recency_band
    or current_rfm.recency_days <> latest_history.recency_days
    or current_rfm.frequency <> latest_history.frequency
    or current_rfm.purchase_days <> latest_history.purchase_days
    or current_rfm.monetary <> latest_history.monetary
    or current_rfm.average_order_value <> latest_history.average_order_value
    or current_rfm.r_score <> latest_history.r_score
    or current_rfm.f_score <> latest_history.f_score
    or current_rfm.m_score <> latest_history.m_score
    or current_rfm.loyalty_ladder_step <> latest_history.loyalty_ladder_step
    or current_rfm.first_purchase_date <> latest_history.first_purchase_date
    or current_rfm.last_purchase_date <> latest_history.last_purchase_date
