-- Question: "Did returns and complaints rise after 11.11?" One row per shop
-- and 11.11 whose before and after periods are both complete: returns and
-- exchanges and complaints per order placed in the 30 days before the
-- pre-heat and in the 30 days after the promotion, and whether each rose.
with

periods as (
    select * from {{ ref('rpt_promotion_periods') }}
    where promotion_name = '11.11'
),

before_periods as (
    select * from periods
    where period = 'before' and is_complete
),

after_periods as (
    select * from periods
    where period = 'after' and is_complete
),

final as (
    select
        before_periods.shop_id,
        before_periods.promotion_id,
        before_periods.number_of_returns_exchanges as returns_exchanges_before,
        after_periods.number_of_returns_exchanges as returns_exchanges_after,
        before_periods.return_exchange_rate as return_exchange_rate_before,
        after_periods.return_exchange_rate as return_exchange_rate_after,
        before_periods.number_of_complaints as complaints_before,
        after_periods.number_of_complaints as complaints_after,
        before_periods.complaint_rate as complaint_rate_before,
        after_periods.complaint_rate as complaint_rate_after,
        after_periods.return_exchange_rate > before_periods.return_exchange_rate as did_return_rate_rise,
        after_periods.complaint_rate > before_periods.complaint_rate as did_complaint_rate_rise
    from before_periods
    inner join after_periods
        on
            before_periods.shop_id = after_periods.shop_id
            and before_periods.promotion_id = after_periods.promotion_id
)

select * from final
order by shop_id asc, promotion_id asc
