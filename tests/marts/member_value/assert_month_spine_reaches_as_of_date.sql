-- The month spine (offsets 0–999) covers every month up to as_of_date with no
-- gap: one row per month, the last one holding as_of_date.
with

months as (
    select * from {{ ref('int_months_spined') }}
),

summary as (
    select
        count(*) as number_of_months,
        max(month_number) - min(month_number) + 1 as months_spanned,
        max(snapshot_date) as last_snapshot_date,
        max(as_of_date) as as_of_date
    from months
)

select *
from summary
where
    number_of_months <> months_spanned
    or last_snapshot_date <> as_of_date
