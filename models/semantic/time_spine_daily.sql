-- One row per calendar day of the validity window (earliest_valid_date to
-- latest_valid_date, both included): every day a kept row can be dated, so
-- every metric time MetricFlow aggregates to falls inside it. MetricFlow
-- needs this calendar to fill gaps and to join metrics of different models
-- over time. dbt's cross-database date_spine (a set of powers of two, no
-- engine-specific series function) keeps it portable; it returns a timestamp
-- on DuckDB, hence the cast.
with

days as (
    {{ dbt.date_spine(
        datepart='day',
        start_date=member_analytics.earliest_valid_date(),
        end_date=dbt.dateadd('day', 1, member_analytics.latest_valid_date()),
    ) }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
