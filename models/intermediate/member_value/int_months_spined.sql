-- One row per calendar month from the month of the first kept order up to the
-- month of as_of_date, with its snapshot date: the month end, or as_of_date
-- itself for its own month when as_of_date is not a month end (a partial
-- month). Set-based: month offsets 0–999 from three sets of digits, no loop.
with

orders as (
    select * from {{ ref('int_orders_valued') }}
    where not is_after_as_of_date
),

digits as (
    select 0 as digit
    union all
    select 1 as digit
    union all
    select 2 as digit
    union all
    select 3 as digit
    union all
    select 4 as digit
    union all
    select 5 as digit
    union all
    select 6 as digit
    union all
    select 7 as digit
    union all
    select 8 as digit
    union all
    select 9 as digit
),

month_offsets as (
    select units.digit + 10 * tens.digit + 100 * hundreds.digit as month_offset
    from digits as units
    cross join digits as tens
    cross join digits as hundreds
),

first_month as (
    select cast({{ dbt.date_trunc('month', 'min(ordered_date)') }} as date) as first_month_start_date
    from orders
),

bounds as (
    select
        first_month_start_date,
        {{ member_analytics.as_of_date() }} as as_of_date
    from first_month
    where first_month_start_date is not null
),

months as (
    select
        month_offsets.month_offset,
        bounds.as_of_date,
        cast({{ dbt.dateadd('month', 'month_offsets.month_offset', 'bounds.first_month_start_date') }} as date)
            as month_start_date
    from bounds
    cross join month_offsets
    where
        month_offsets.month_offset
        <= (extract(year from bounds.as_of_date) * 12 + extract(month from bounds.as_of_date))
        - (extract(year from bounds.first_month_start_date) * 12 + extract(month from bounds.first_month_start_date))
),

month_ends as (
    select
        *,
        cast({{ dbt.last_day('month_start_date', 'month') }} as date) as month_end_date
    from months
),

final as (
    select
        cast(month_offset as int) as month_offset,
        cast(extract(year from month_start_date) * 12 + extract(month from month_start_date) - 1 as int)
            as month_number,
        month_end_date > as_of_date as is_partial_month,
        month_start_date,
        month_end_date,
        case when month_end_date > as_of_date then as_of_date else month_end_date end as snapshot_date,
        as_of_date
    from month_ends
)

select * from final
