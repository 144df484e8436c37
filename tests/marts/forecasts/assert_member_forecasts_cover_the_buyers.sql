-- fct_member_forecasts has a row for every member of fct_member_rfm (the
-- buyers by as_of_date), and the forecast's purchase-day summary agrees with
-- the RFM mart's: repeat purchase days are purchase days less one, and the
-- last purchase day is the same.
select
    rfm.shop_id,
    rfm.member_id,
    rfm.purchase_days,
    forecasts.repeat_purchase_days
from {{ ref('fct_member_rfm') }} as rfm
left join {{ ref('fct_member_forecasts') }} as forecasts
    on rfm.shop_id = forecasts.shop_id and rfm.member_id = forecasts.member_id
where
    forecasts.member_id is null
    or forecasts.repeat_purchase_days != rfm.purchase_days - 1
    or forecasts.last_purchase_date != rfm.last_purchase_date
    or forecasts.first_purchase_date != rfm.first_purchase_date
