-- One row per raw orders row, typed, with its row_status
-- (kept | rejected | duplicate | superseded) and rejection_reason.
with

source as (
    select * from {{ source('shop', 'orders') }}
),

numbered as (
    select
        source.*,
        {{ member_analytics.copy_number('orders') }} as copy_number,
        {{ member_analytics.source_record('orders') }} as source_record
    from source
),

typed as (
    select
        {{ member_analytics.clean_text('numbered.shop_id') }} as shop_id,
        {{ member_analytics.clean_text('numbered.order_id') }} as order_id,
        {{ member_analytics.clean_text('numbered.member_id') }} as member_id,
        {{ member_analytics.clean_code('numbered.status') }} as status,
        {{ member_analytics.clean_code('numbered.channel') }} as channel,
        {{ member_analytics.typed_value('numbered.paid_amount', 'decimal(18, 2)') }} as paid_amount,
        {{ member_analytics.typed_value('numbered.refunded_amount', 'decimal(18, 2)') }} as refunded_amount,
        {{ member_analytics.typed_value('numbered.discount_amount', 'decimal(18, 2)') }} as discount_amount,
        {{ member_analytics.typed_value('numbered.ordered_at', 'timestamp') }} as ordered_at,
        {{ member_analytics.typed_value('numbered.refunded_at', 'timestamp') }} as refunded_at,
        {{ member_analytics.typed_value('numbered.updated_at', 'timestamp') }} as updated_at,
        (
            {{ member_analytics.clean_text('numbered.ordered_at') }} is null
            or {{ member_analytics.clean_text('numbered.paid_amount') }} is null
        ) as has_missing_value,
        (
            {{ member_analytics.is_bad_value('numbered.paid_amount', 'decimal(18, 2)') }}
            or {{ member_analytics.is_bad_value('numbered.refunded_amount', 'decimal(18, 2)') }}
            or {{ member_analytics.is_bad_value('numbered.discount_amount', 'decimal(18, 2)') }}
            or {{ member_analytics.is_bad_value('numbered.ordered_at', 'timestamp') }}
            or {{ member_analytics.is_bad_value('numbered.refunded_at', 'timestamp') }}
            or {{ member_analytics.is_bad_value('numbered.updated_at', 'timestamp') }}
        ) as has_bad_type,
        numbered.copy_number,
        numbered.source_record
    from numbered
),

checked as (
    select
        *,
        case
            when shop_id is null or order_id is null or member_id is null then 'missing_key'
            when has_missing_value then 'missing_value'
            when has_bad_type then 'bad_type'
            when
                status is null
                or status not in ('created', 'paid', 'shipped', 'completed', 'cancelled', 'refunded')
                then 'unknown_code'
            when paid_amount < 0 or refunded_amount < 0 or discount_amount < 0 then 'negative_amount'
            when refunded_amount > paid_amount then 'refund_exceeds_payment'
            else {{ member_analytics.date_window_reason('ordered_at') }}
        end as row_rejection_reason
    from typed
),

-- Versions of one order: the greatest updated_at wins; older versions are
-- superseded; several different rows at the top conflict (duplicate_key).
versions as (
    select
        *,
        (copy_number = 1 and row_rejection_reason is null) as is_candidate,
        max(updated_at) over (
            partition by shop_id, order_id, (copy_number = 1 and row_rejection_reason is null)
        ) as latest_updated_at
    from checked
),

ranked_versions as (
    select
        *,
        (latest_updated_at is null or updated_at = latest_updated_at) as is_latest_version,
        sum(
            case when latest_updated_at is null or updated_at = latest_updated_at then 1 else 0 end
        ) over (partition by shop_id, order_id, is_candidate) as number_of_latest_versions
    from versions
),

final as (
    select
        shop_id,
        order_id,
        member_id,
        status,
        channel,
        {{ member_analytics.row_status_columns(
            key_conflict='number_of_latest_versions > 1', superseded='not is_latest_version') }},
        source_record,
        paid_amount,
        refunded_amount,
        discount_amount,
        ordered_at,
        refunded_at,
        updated_at
    from ranked_versions
)

select * from final
