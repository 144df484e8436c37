-- fct_orders holds exactly the kept orders of staging, no more, no fewer, each
-- with its kept raw row's values (member, status, channel, amounts, dates). On a
-- daily (incremental) run this is the safety net under change detection
-- (docs/decisions/0091): a row the run did not recompute although its raw data
-- changed fails the build, and nothing is published.
with

kept as (
    select {{ member_analytics.order_content_columns('staging') }}
    from {{ ref('stg_shop__orders') }}
    where row_status = 'kept'
),

built as (
    select {{ member_analytics.order_content_columns('fct_orders') }}
    from {{ ref('fct_orders') }}
),

differences as (
    {{ member_analytics.order_content_differences('kept', 'built') }}
)

select
    shop_id,
    order_id,
    case
        when in_kept then 'kept raw order missing from fct_orders, or with other values there'
        else 'order in fct_orders that is not a kept raw order, or with other values'
    end as problem
from differences
