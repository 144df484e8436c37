-- One row per fit period, fit scope and shop: the purchase models (BG/NBD and
-- MBG/NBD, in days) and the spend model (Gamma-Gamma) fitted by maximum
-- likelihood as lifetimes 0.11.3 fits them (docs/decisions/0122), each with
-- its report. Scope 'shop' fits one shop's buyers; scope 'all_shops' (shop_id
-- null) fits every shop's buyers together, the fallback of a shop whose own
-- purchase fit is not usable, and is fitted only when some shop needs it.
--
-- The buyers are compacted to distinct (x, t_x, T) rows with a weight (how many
-- members share them) and handed to the fit functions as arrays
-- (member_analytics_purchase_model_fit, _spend_model_fit: Python registered in
-- the engine; macro forecast_array). A purchase fit is usable when the scope
-- has at least the var's minimum of buyers and both purchase models converged;
-- the spend fit when Gamma-Gamma converged with q > 1 (its population mean is
-- defined). The mean repeat spend (over members with a repeat purchase day and
-- a positive repeat spend) is the spend fallback.
{%- set report_fields = ['converged', 'message', 'iterations', 'mean_negative_log_likelihood'] %}
{%- set purchase_fields = ['r', 'alpha', 'a', 'b'] + report_fields %}
{%- set spend_fields = ['p', 'q', 'v'] + report_fields %}
with

summaries as (
    select * from {{ ref('int_member_purchase_summaries') }}
),

shop_rows as (
    select
        fit_period,
        'shop' as fit_scope,
        shop_id,
        observation_date,
        cast(repeat_purchase_days as double) as frequency,
        cast(purchase_span_days as double) as recency,
        cast(customer_age_days as double) as age,
        repeat_average_spend
    from summaries
),

shop_compact as (
    select
        fit_period,
        fit_scope,
        shop_id,
        observation_date,
        frequency,
        recency,
        age,
        cast(count(*) as double) as weight
    from shop_rows
    group by fit_period, fit_scope, shop_id, observation_date, frequency, recency, age
),

shop_purchase_fits as (
    {{ member_analytics.purchase_fits_of('shop_compact') }}
),

-- the periods in which a shop's own purchase fit is not usable
fallback_periods as (
    select distinct shop_purchase_fits.fit_period
    from shop_purchase_fits
    where not ({{ member_analytics.purchase_fit_usable('shop_purchase_fits') }})
),

all_shop_compact as (
    select
        shop_compact.fit_period,
        'all_shops' as fit_scope,
        cast(null as {{ dbt.type_string() }}) as shop_id,
        shop_compact.observation_date,
        shop_compact.frequency,
        shop_compact.recency,
        shop_compact.age,
        sum(shop_compact.weight) as weight
    from shop_compact
    inner join fallback_periods
        on shop_compact.fit_period = fallback_periods.fit_period
    group by
        shop_compact.fit_period,
        shop_compact.observation_date,
        shop_compact.frequency,
        shop_compact.recency,
        shop_compact.age
),

all_shop_purchase_fits as (
    {{ member_analytics.purchase_fits_of('all_shop_compact') }}
),

purchase_fits as (
    select * from shop_purchase_fits
    union all
    select * from all_shop_purchase_fits
),

-- Gamma-Gamma's members: a repeat purchase day and a positive repeat spend
spend_compact as (
    select
        fit_period,
        shop_id,
        frequency,
        repeat_average_spend,
        cast(count(*) as double) as weight
    from shop_rows
    where frequency > 0 and repeat_average_spend > 0
    group by fit_period, shop_id, frequency, repeat_average_spend
),

spend_fits as (
    select
        fit_period,
        shop_id,
        cast(sum(weight) as bigint) as repeat_buyers,
        {{ member_analytics.forecast_round('sum(repeat_average_spend * weight) / sum(weight)', 6) }} as mean_repeat_spend,
        {{ member_analytics.spend_model_fit('frequency', 'repeat_average_spend', 'weight') }} as gamma_gamma
    from spend_compact
    group by fit_period, shop_id
),

final as (
    select
        purchase_fits.fit_period,
        purchase_fits.fit_scope,
        purchase_fits.shop_id,
        purchase_fits.observation_date,
        purchase_fits.buyers,
        {{ member_analytics.struct_fields('purchase_fits.bgnbd', 'bgnbd_', purchase_fields) }},
        {{ member_analytics.struct_fields('purchase_fits.mbgnbd', 'mbgnbd_', purchase_fields) }},
        {{ member_analytics.purchase_fit_usable('purchase_fits') }} as is_purchase_fit_usable,
        coalesce(spend_fits.repeat_buyers, 0) as repeat_buyers,
        spend_fits.mean_repeat_spend,
        {{ member_analytics.struct_fields('spend_fits.gamma_gamma', 'gamma_gamma_', spend_fields) }},
        coalesce({{ member_analytics.struct_field('spend_fits.gamma_gamma', 'converged') }} and {{ member_analytics.struct_field('spend_fits.gamma_gamma', 'q') }} > 1, false) as is_spend_fit_usable
    from purchase_fits
    left join spend_fits
        on
            purchase_fits.fit_scope = 'shop'
            and purchase_fits.fit_period = spend_fits.fit_period
            and purchase_fits.shop_id = spend_fits.shop_id
)

select * from final
