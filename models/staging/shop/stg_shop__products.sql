-- One row per raw products row, typed, with its row_status and rejection_reason;
-- the original values of rejected rows.
-- Incremental on DuckDB (docs/decisions/0118): a build stages again only the keys
-- (each shop and product's rows) that new, changed or removed loads
-- touch, reading only the loads that hold them.
{{ config(materialized=member_analytics.incremental_materialization()) }}
{%- set loads = member_analytics.staging_loads(
    'products', none, this is not none and is_incremental(), this) %}

with

source as (
    select * from {{ source('shop', 'products') }}
    where {{ loads.source_filter }}
),

copies as (
    {{ member_analytics.raw_row_copies('products', by_load=true, load_locations=loads.versions.keys() | list) }}
),

cleaned as (
    select
        copies.*,
        {{ member_analytics.clean_text('raw_shop_id') }} as shop_id,
        {{ member_analytics.clean_text('raw_product_id') }} as product_id,
        {{ member_analytics.clean_text('raw_product_name') }} as product_name,
        {{ member_analytics.clean_text('raw_category') }} as category,
        {{ member_analytics.clean_text('raw_brand') }} as brand,
        {{ member_analytics.clean_text('raw_list_price') }} as list_price_text,
        {{ member_analytics.clean_text('raw_launched_at') }} as launched_at_text
    from copies
),

typed as (
    select
        *,
        {{ member_analytics.typed_value('list_price_text', 'decimal(18, 2)') }} as list_price,
        {{ member_analytics.typed_value('launched_at_text', 'timestamp') }} as launched_at,
        {{ member_analytics.staging_key_sql('products') }} as staging_key
    from cleaned
),

touched as (
    select * from typed
    where {{ loads.key_filter }}
),

checked as (
    select
        *,
        case
            when shop_id is null or product_id is null then 'missing_key'
            when
                {{ member_analytics.is_bad_value('list_price') }}
                or {{ member_analytics.is_bad_value('launched_at') }}
                then 'bad_type'
            when list_price < 0 then 'negative_amount'
        end as row_rejection_reason
    from touched
),

keyed as (
    select
        *,
        {{ member_analytics.candidates_per_key(['shop_id', 'product_id']) }} as candidates_with_key
    from checked
),

statused as (
    select
        *,
        {{ member_analytics.row_status_columns(key_conflict='candidates_with_key > 1') }}
    from keyed
),

final as (
    select
        shop_id,
        product_id,
        product_name,
        category,
        brand,
        row_status,
        rejection_reason,
        {{ member_analytics.rejected_source_record('products') }} as source_record,
        list_price,
        launched_at,
        staging_key,
        raw_load_location as load_location,
        {{ member_analytics.load_version_column(loads.versions) }} as load_version
    from statused
    {{ member_analytics.load_versions_join('statused', 'products', loads.versions) }}
)

select * from final
