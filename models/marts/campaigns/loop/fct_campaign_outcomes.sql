-- One row per assignment of fct_campaign_assignments: its attribution window
-- (days D+1 to D+window of the audience's channel), whether the window has
-- closed by as_of_date, whether the send log shows a send for it (to the
-- member, for the audience, on day D or D+1), and the member's first valid
-- purchase in the window (cut at as_of_date) with its net amount: by
-- assignment, whether or not a send happened (intention to treat;
-- docs/decisions/0123).
with

assignments as (
    select * from {{ ref('fct_campaign_assignments') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_valid_purchase
),

sends as (
    select * from {{ ref('fct_campaign_sends') }}
    where not is_after_as_of_date
),

as_of as (
    select {{ member_analytics.as_of_date() }} as as_of_date
),

windowed as (
    select
        assignments.*,
        as_of.as_of_date,
        cast({{ member_analytics.attribution_window_days('assignments.channel') }} as int) as window_days
    from assignments
    cross join as_of
),

bounded as (
    select
        *,
        {{ member_analytics.add_days('assignment_date', 1) }} as window_start_date,
        {{ member_analytics.add_days('assignment_date', 'window_days') }} as window_end_date
    from windowed
),

matched_sends as (
    select
        bounded.shop_id,
        bounded.member_id,
        bounded.audience,
        bounded.assignment_date,
        min(sends.sent_at) as first_sent_at,
        count(*) as sends
    from bounded
    inner join sends
        on
            bounded.shop_id = sends.shop_id
            and bounded.member_id = sends.member_id
            and bounded.audience = sends.audience
            and bounded.assignment_date <= sends.sent_date
            and bounded.window_start_date >= sends.sent_date
    group by bounded.shop_id, bounded.member_id, bounded.audience, bounded.assignment_date
),

window_orders as (
    select
        bounded.shop_id,
        bounded.member_id,
        bounded.audience,
        bounded.assignment_date,
        orders.order_id,
        orders.ordered_date,
        orders.ordered_at,
        orders.net_amount,
        row_number() over (
            partition by bounded.shop_id, bounded.member_id, bounded.audience, bounded.assignment_date
            order by orders.ordered_at, orders.order_id
        ) as order_rank
    from bounded
    inner join orders
        on
            bounded.shop_id = orders.shop_id
            and bounded.member_id = orders.member_id
            and bounded.window_start_date <= orders.ordered_date
            and bounded.window_end_date >= orders.ordered_date
),

first_orders as (
    select * from window_orders
    where order_rank = 1
),

final as (
    select
        bounded.shop_id,
        bounded.member_id,
        bounded.audience,
        bounded.assignment_date,
        bounded.arm,
        bounded.is_holdout,
        bounded.is_suppressed,
        bounded.suppression_reason,
        bounded.message_kind,
        bounded.channel,
        bounded.assignment_source,
        bounded.window_days,
        bounded.window_start_date,
        bounded.window_end_date,
        bounded.window_end_date <= bounded.as_of_date as is_window_complete,
        matched_sends.first_sent_at is not null as was_sent,
        matched_sends.first_sent_at,
        first_orders.order_id is not null as converted,
        first_orders.order_id as first_order_id,
        first_orders.ordered_date as first_order_date,
        first_orders.net_amount as first_order_net_amount,
        cast(coalesce(first_orders.net_amount, 0) as decimal(18, 2)) as outcome_net_amount,
        cast({{ dbt.date_trunc('month', 'bounded.assignment_date') }} as date) as assignment_month,
        bounded.as_of_date
    from bounded
    left join matched_sends
        on
            bounded.shop_id = matched_sends.shop_id
            and bounded.member_id = matched_sends.member_id
            and bounded.audience = matched_sends.audience
            and bounded.assignment_date = matched_sends.assignment_date
    left join first_orders
        on
            bounded.shop_id = first_orders.shop_id
            and bounded.member_id = first_orders.member_id
            and bounded.audience = first_orders.audience
            and bounded.assignment_date = first_orders.assignment_date
)

select * from final
