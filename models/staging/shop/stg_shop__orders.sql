-- One row per raw orders row, typed, with its row_status
-- (kept | rejected | duplicate | superseded) and rejection_reason; the original
-- values (source_record) of rejected rows; the load it came from (the copy in the
-- earliest load is the original). Incremental on DuckDB (docs/decisions/0118): a
-- build stages again only the orders that new, changed or removed loads or the
-- moving date window touch, every version of them, reading only the loads that
-- hold them.
{{ config(materialized=member_analytics.incremental_materialization()) }}
{%- set loads = member_analytics.staging_loads('orders', 'ordered_at', this is not none and is_incremental(), this) %}
{%- set newer_version_rejected -%}
    latest_rejected_updated_at is not null
    and (latest_updated_at is null or latest_rejected_updated_at >= latest_updated_at)
{%- endset %}

with

source as (
    select * from {{ source('shop', 'orders') }}
    where {{ loads.source_filter }}
),

copies as (
    {{ member_analytics.raw_row_copies('orders', by_load=true, load_locations=loads.versions.keys() | list) }}
),

cleaned as (
    select
        copies.*,
        {{ member_analytics.clean_text('raw_shop_id') }} as shop_id,
        {{ member_analytics.clean_text('raw_order_id') }} as order_id,
        {{ member_analytics.clean_text('raw_member_id') }} as member_id,
        {{ member_analytics.clean_code('raw_status') }} as status,
        {{ member_analytics.clean_code('raw_channel') }} as channel,
        {{ member_analytics.clean_text('raw_paid_amount') }} as paid_amount_text,
        {{ member_analytics.clean_text('raw_refunded_amount') }} as refunded_amount_text,
        {{ member_analytics.clean_text('raw_discount_amount') }} as discount_amount_text,
        {{ member_analytics.clean_text('raw_ordered_at') }} as ordered_at_text,
        {{ member_analytics.clean_text('raw_refunded_at') }} as refunded_at_text,
        {{ member_analytics.clean_text('raw_updated_at') }} as updated_at_text
    from copies
),

typed as (
    select
        *,
        {{ member_analytics.typed_value('paid_amount_text', 'decimal(18, 2)') }} as paid_amount,
        {{ member_analytics.typed_value('refunded_amount_text', 'decimal(18, 2)') }} as refunded_amount,
        {{ member_analytics.typed_value('discount_amount_text', 'decimal(18, 2)') }} as discount_amount,
        {{ member_analytics.typed_value('ordered_at_text', 'timestamp') }} as ordered_at,
        {{ member_analytics.typed_value('refunded_at_text', 'timestamp') }} as refunded_at,
        {{ member_analytics.typed_value('updated_at_text', 'timestamp') }} as updated_at,
        {{ member_analytics.staging_key_sql('orders') }} as staging_key
    from cleaned
),

touched as (
    select * from typed
    where {{ loads.key_filter }}
),

-- read twice (the version counts and the rows): computed once where the engine
-- can hold a CTE (DuckDB), rather than cleaning and typing every row twice
checked as {{ member_analytics.materialized_cte() }} (
    select
        *,
        case
            when shop_id is null or order_id is null or member_id is null then 'missing_key'
            when ordered_at_text is null or paid_amount_text is null then 'missing_value'
            when
                {{ member_analytics.is_bad_value('paid_amount') }}
                or {{ member_analytics.is_bad_value('refunded_amount') }}
                or {{ member_analytics.is_bad_value('discount_amount') }}
                or {{ member_analytics.is_bad_value('ordered_at') }}
                or {{ member_analytics.is_bad_value('refunded_at') }}
                or {{ member_analytics.is_bad_value('updated_at') }}
                then 'bad_type'
            when
                status is null
                or status not in ('created', 'paid', 'shipped', 'completed', 'cancelled', 'refunded')
                then 'unknown_code'
            when paid_amount < 0 or refunded_amount < 0 or discount_amount < 0 then 'negative_amount'
            when
                paid_amount > {{ member_analytics.max_order_amount() }}
                or refunded_amount > {{ member_analytics.max_order_amount() }}
                or discount_amount > {{ member_analytics.max_order_amount() }}
                then 'out_of_range'
            when refunded_amount > paid_amount then 'refund_exceeds_payment'
            else {{ member_analytics.date_window_reason('ordered_at') }}
        end as row_rejection_reason
    from touched
),

-- Versions of one order (docs/decisions/0002): the greatest updated_at wins and
-- an undated version ranks below every dated one; older versions are
-- superseded; several different rows at the top conflict (duplicate_key). When
-- the newest version is rejected, no older one stands in for it: the whole
-- order is rejected (latest_version_rejected). Counted per order on the keys
-- alone, then joined back (no window over the wide rows), and only for the
-- orders with more than one distinct row: an order of one row is kept or
-- rejected on its own merits (row_status_columns gives it no version verdict),
-- and almost every order has one row, so the version counts and the join back
-- hold only the few orders that have versions (docs/decisions/0112).
versioned_keys as (
    select
        shop_id,
        order_id
    from checked
    where copy_number = 1 and shop_id is not null and order_id is not null
    group by shop_id, order_id
    having count(*) > 1
),

version_times as (
    select
        checked.shop_id,
        checked.order_id,
        checked.updated_at,
        sum(case when checked.row_rejection_reason is null then 1 else 0 end) as candidates,
        sum(case when checked.row_rejection_reason is not null then 1 else 0 end) as rejected_rows
    from checked
    inner join versioned_keys
        on
            checked.shop_id = versioned_keys.shop_id
            and checked.order_id = versioned_keys.order_id
    where checked.copy_number = 1
    group by checked.shop_id, checked.order_id, checked.updated_at
),

order_versions as (
    select
        shop_id,
        order_id,
        max(case when candidates > 0 then updated_at end) as latest_updated_at,
        max(case when rejected_rows > 0 then updated_at end) as latest_rejected_updated_at,
        sum(case when candidates > 0 and updated_at is null then candidates else 0 end) as undated_candidates
    from version_times
    group by shop_id, order_id
),

top_versions as (
    select
        order_versions.shop_id,
        order_versions.order_id,
        order_versions.latest_updated_at,
        order_versions.latest_rejected_updated_at,
        coalesce(version_times.candidates, order_versions.undated_candidates) as number_of_latest_versions
    from order_versions
    left join version_times
        on
            order_versions.shop_id = version_times.shop_id
            and order_versions.order_id = version_times.order_id
            and order_versions.latest_updated_at = version_times.updated_at
),

ranked_versions as (
    select
        checked.*,
        top_versions.latest_updated_at,
        top_versions.latest_rejected_updated_at,
        top_versions.number_of_latest_versions,
        coalesce(
            top_versions.latest_updated_at is null or checked.updated_at = top_versions.latest_updated_at, false
        ) as is_latest_version
    from checked
    left join top_versions
        on
            checked.shop_id = top_versions.shop_id
            and checked.order_id = top_versions.order_id
),

statused as (
    select
        *,
        {{ member_analytics.row_status_columns(
            key_conflict='number_of_latest_versions > 1',
            superseded='not is_latest_version',
            newer_rejected=newer_version_rejected) }}
    from ranked_versions
),

final as (
    select
        shop_id,
        order_id,
        member_id,
        status,
        channel,
        row_status,
        rejection_reason,
        {{ member_analytics.rejected_source_record('orders') }} as source_record,
        paid_amount,
        refunded_amount,
        discount_amount,
        ordered_at,
        refunded_at,
        updated_at,
        staging_key,
        raw_load_location as load_location,
        {{ member_analytics.load_version_column(loads.versions) }} as load_version
    from statused
    {{ member_analytics.load_versions_join('statused', 'orders', loads.versions) }}
)

select * from final
