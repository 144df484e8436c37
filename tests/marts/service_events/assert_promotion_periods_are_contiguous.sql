-- The before, during and after periods of a promotion touch without gap or
-- overlap: before ends the day before during starts, after starts the day
-- after during ends. Returns the periods that break it.
with

periods as (
    select * from {{ ref('rpt_promotion_periods') }}
),

ordered as (
    select
        shop_id,
        promotion_id,
        period,
        period_start_date,
        lag(period_end_date) over (
            partition by shop_id, promotion_id
            order by period_order
        ) as previous_end_date
    from periods
)

select *
from ordered
where
    previous_end_date is not null
    and period_start_date != cast({{ dbt.dateadd('day', 1, 'previous_end_date') }} as date)
