-- One row per shop, contract table and metric of the raw input as received
-- (every raw row with its verdict, before any mart is built): row counts, the
-- shares rejected and with an unknown code, how many days before as_of_date
-- the earliest and latest kept rows are, and for orders the paid-amount
-- quantiles, the date coverage and the share of buyers found in no members row
-- (measured only for shops with kept members: ids exported in two forms, such as
-- integers on one side that lost their leading zeros, leave every buyer unmatched). Compact at any scale: SQL aggregates, the
-- Great Expectations suite raw_input validates these rows (docs/decisions/0070).
-- Every shop gets a row for every table (zero rows when a table is absent);
-- raw rows without a shop_id belong to no shop (fct_rejected_rows lists them).
{%- set tables = {
    'orders': {'relation': ref('stg_shop__orders'), 'date_column': 'ordered_at'},
    'order_items': {'relation': ref('int_order_items_validated'), 'date_column': none},
    'members': {'relation': ref('stg_shop__members'), 'date_column': 'registered_at'},
    'products': {'relation': ref('stg_shop__products'), 'date_column': none},
    'behavior_events': {'relation': ref('stg_shop__behavior_events'), 'date_column': 'occurred_at'},
    'service_events': {'relation': ref('stg_shop__service_events'), 'date_column': 'occurred_at'},
    'points_events': {'relation': ref('stg_shop__points_events'), 'date_column': 'occurred_at'},
    'campaign_sends': {'relation': ref('stg_shop__campaign_sends'), 'date_column': 'sent_at'},
    'campaign_assignments': {'relation': ref('stg_shop__campaign_assignments'), 'date_column': 'assigned_date'},
} %}
{%- set dated_tables = [] %}
{%- for table_name, spec in tables.items() if spec.date_column %}
    {%- do dated_tables.append(table_name) %}
{%- endfor %}
{%- set window_days = member_analytics.validated_number('member_analytics__quality__coverage_window_days') | int %}
{%- if window_days < 1 %}
    {{ exceptions.raise_compiler_error(
        "member_analytics: var 'member_analytics__quality__coverage_window_days' must be at least 1, got "
        ~ window_days) }}
{%- endif %}
{%- set quantiles = {'p01': 0.01, 'p25': 0.25, 'p50': 0.5, 'p75': 0.75, 'p99': 0.99} %}
{%- set quantile_columns = [] %}
{%- for name in quantiles %}
    {%- do quantile_columns.append('paid_amount_' ~ name) %}
{%- endfor %}
with

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

table_counts as (
    {% for table_name, spec in tables.items() %}
        select
            shop_id,
            '{{ table_name }}' as table_name,
            count(*) as raw_rows,
            sum(case when row_status = 'kept' then 1 else 0 end) as kept_rows,
            sum(case when row_status = 'rejected' then 1 else 0 end) as rejected_rows,
            sum(case when rejection_reason = 'unknown_code' then 1 else 0 end) as unknown_code_rows,
            {% if spec.date_column %}
                min(case when row_status = 'kept' then cast({{ spec.date_column }} as date) end) as earliest_date,
                max(case when row_status = 'kept' then cast({{ spec.date_column }} as date) end) as latest_date
            {% else %}
                cast(null as date) as earliest_date,
                cast(null as date) as latest_date
            {% endif %}
        from {{ spec.relation }}
        where shop_id is not null
        group by shop_id
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

shops as (
    select distinct shop_id
    from table_counts
),

contract_tables as (
    {% for table_name in tables %}
        select '{{ table_name }}' as table_name
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

table_metrics as (
    select
        shops.shop_id,
        contract_tables.table_name,
        coalesce(table_counts.raw_rows, 0) as raw_rows,
        coalesce(table_counts.kept_rows, 0) as kept_rows,
        case
            when table_counts.raw_rows > 0
                then cast(table_counts.rejected_rows as double) / table_counts.raw_rows
            else 0
        end as rejected_share,
        case
            when table_counts.raw_rows > 0
                then cast(table_counts.unknown_code_rows as double) / table_counts.raw_rows
            else 0
        end as unknown_code_share,
        {{ dbt.datediff('table_counts.earliest_date', 'as_of.as_of_date', 'day') }} as days_since_earliest_row,
        {{ dbt.datediff('table_counts.latest_date', 'as_of.as_of_date', 'day') }} as days_since_latest_row
    from shops
    cross join contract_tables
    cross join as_of
    left join table_counts
        on
            shops.shop_id = table_counts.shop_id
            and contract_tables.table_name = table_counts.table_name
),

kept_orders as (
    select
        orders.shop_id,
        orders.paid_amount,
        cast(orders.ordered_at as date) as ordered_date,
        as_of.as_of_date,
        cast({{ dbt.dateadd('day', 1 - window_days, 'as_of.as_of_date') }} as date) as window_start_date
    from {{ ref('stg_shop__orders') }} as orders
    cross join as_of
    where orders.row_status = 'kept'
),

order_metrics as (
    select
        shop_id,
        {% for name, q in quantiles.items() %}
            {{ member_analytics.quantile('paid_amount', q) }} as paid_amount_{{ name }},
        {% endfor %}
        cast(count(distinct case
            when ordered_date between window_start_date and as_of_date then ordered_date
        end) as double) / {{ window_days }} as order_day_coverage
    from kept_orders
    group by shop_id
),

buyers as (
    select distinct
        shop_id,
        member_id
    from {{ ref('stg_shop__orders') }}
    where row_status = 'kept'
),

registered as (
    select distinct
        shop_id,
        member_id
    from {{ ref('stg_shop__members') }}
    where row_status = 'kept'
),

buyer_metrics as (
    select
        buyers.shop_id,
        cast(sum(case when registered.member_id is null then 1 else 0 end) as double)
        / count(*) as buyers_not_in_members_share
    from buyers
    left join registered
        on
            buyers.shop_id = registered.shop_id
            and buyers.member_id = registered.member_id
    where buyers.shop_id in (select registered_shops.shop_id from registered as registered_shops)
    group by buyers.shop_id
),

final as (
    {% for metric_name in ['raw_rows', 'kept_rows', 'rejected_share', 'unknown_code_share',
                           'days_since_earliest_row', 'days_since_latest_row'] %}
        select
            shop_id,
            table_name,
            '{{ metric_name }}' as metric_name,
            cast({{ metric_name }} as double) as metric_value
        from table_metrics
        {% if metric_name.startswith('days_') %}
            where table_name in ('{{ dated_tables | join("', '") }}')
        {% endif %}
        union all
    {% endfor %}
    {{ member_analytics.quality_metric_rows(
        'shops', 'order_metrics', 'orders',
        quantile_columns + ['order_day_coverage'], zero_when_absent=['order_day_coverage']) }}
    union all
    {{ member_analytics.quality_metric_rows('shops', 'buyer_metrics', 'orders', ['buyers_not_in_members_share']) }}
)

select * from final
