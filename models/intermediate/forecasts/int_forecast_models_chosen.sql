-- One row per fit period and shop: the models that score the shop's members
-- (docs/decisions/0122). The purchase models (BG/NBD and MBG/NBD) are the
-- shop's own fit when usable, else every shop's buyers fitted together when
-- that is usable, else none (purchase_model_scope null: the purchase columns of
-- the forecasts are null). The spend is Gamma-Gamma's when the shop's fit is
-- usable, else the shop's mean repeat spend. model_status says which, the
-- purchase models' fallback first (macro forecast_model_status).
with

fits as (
    select * from {{ ref('int_forecast_model_fits') }}
),

shop_fits as (
    select * from fits
    where fit_scope = 'shop'
),

all_shop_fits as (
    select * from fits
    where fit_scope = 'all_shops'
),

-- the scope whose purchase fit scores the shop's members
chosen as (
    select
        shop_fits.fit_period,
        shop_fits.shop_id,
        shop_fits.observation_date,
        shop_fits.buyers,
        shop_fits.is_purchase_fit_usable as is_shop_fit_usable,
        coalesce(all_shop_fits.is_purchase_fit_usable, false) as is_all_shop_fit_usable,
        case
            when shop_fits.is_purchase_fit_usable then 'shop'
            when all_shop_fits.is_purchase_fit_usable then 'all_shops'
        end as purchase_model_scope,
        shop_fits.is_spend_fit_usable,
        shop_fits.gamma_gamma_converged,
        shop_fits.repeat_buyers,
        shop_fits.gamma_gamma_p,
        shop_fits.gamma_gamma_q,
        shop_fits.gamma_gamma_v,
        coalesce(shop_fits.mean_repeat_spend, 0) as mean_repeat_spend
    from shop_fits
    left join all_shop_fits
        on shop_fits.fit_period = all_shop_fits.fit_period
),

final as (
    select
        chosen.*,
        purchase_fits.bgnbd_r,
        purchase_fits.bgnbd_alpha,
        purchase_fits.bgnbd_a,
        purchase_fits.bgnbd_b,
        purchase_fits.mbgnbd_r,
        purchase_fits.mbgnbd_alpha,
        purchase_fits.mbgnbd_a,
        purchase_fits.mbgnbd_b,
        case when chosen.is_spend_fit_usable then 'gamma_gamma' else 'shop_mean_repeat_spend' end as spend_model,
        {{ member_analytics.forecast_model_status('chosen') }} as model_status
    from chosen
    left join fits as purchase_fits
        on
            chosen.fit_period = purchase_fits.fit_period
            and chosen.purchase_model_scope = purchase_fits.fit_scope
            and (purchase_fits.fit_scope = 'all_shops' or chosen.shop_id = purchase_fits.shop_id)
)

select * from final
