-- One row per raw members row, typed and normalised, with its row_status and
-- rejection_reason. Phone and nickname are pseudonymised here, before anything is
-- stored: keyed sha256 (macros/utils/pii.sql) and a has_phone flag; their clear
-- values are redacted from source_record (the original values of rejected
-- rows). Birth date stays in this layer; marts get age bands and birthday
-- month/day only.
-- Incremental on DuckDB (docs/decisions/0118): a build stages again only the keys
-- (each shop and member's rows) that new, changed or removed loads or the moving date window
-- touch, reading only the loads that hold them.
{{ config(materialized=member_analytics.incremental_materialization()) }}
{%- set loads = member_analytics.staging_loads(
    'members', 'registered_at', this is not none and is_incremental(), this) %}

with

source as (
    select * from {{ source('shop', 'members') }}
    where {{ loads.source_filter }}
),

copies as (
    {{ member_analytics.raw_row_copies('members', by_load=true, load_locations=loads.versions.keys() | list) }}
),

cleaned as (
    select
        copies.*,
        pii_key.pii_key,
        {{ member_analytics.clean_text('copies.raw_shop_id') }} as shop_id,
        {{ member_analytics.clean_text('copies.raw_member_id') }} as member_id,
        {{ member_analytics.clean_code('copies.raw_gender') }} as gender_code,
        {{ member_analytics.clean_text('copies.raw_province') }} as province,
        {{ member_analytics.clean_text('copies.raw_city') }} as city,
        {{ member_analytics.clean_text('copies.raw_phone') }} as phone,
        {{ member_analytics.clean_text('copies.raw_nickname') }} as nickname,
        {{ member_analytics.clean_text('copies.raw_is_marketing_opt_out') }} as is_marketing_opt_out_text,
        {{ member_analytics.clean_text('copies.raw_birth_date') }} as birth_date_text,
        {{ member_analytics.clean_text('copies.raw_registered_at') }} as registered_at_text
    from copies
    cross join {{ member_analytics.pii_key_relation() }} as pii_key
),

typed as (
    select
        *,
        case
            when gender_code in ('m', 'male', '男') then 'male'
            when gender_code in ('f', 'female', '女') then 'female'
            else 'unknown'
        end as gender,
        phone is not null as has_phone,
        {{ member_analytics.pii_keyed_hash('phone', 'pii_key') }} as phone_hash,
        {{ member_analytics.pii_keyed_hash('nickname', 'pii_key') }} as nickname_hash,
        {{ member_analytics.parse_boolean('is_marketing_opt_out_text') }} as is_marketing_opt_out,
        {{ member_analytics.typed_value('birth_date_text', 'date') }} as birth_date,
        {{ member_analytics.typed_value('registered_at_text', 'timestamp') }} as registered_at,
        {{ member_analytics.staging_key_sql('members') }} as staging_key
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
            when shop_id is null or member_id is null then 'missing_key'
            when
                {{ member_analytics.is_bad_value('registered_at') }}
                or {{ member_analytics.is_bad_value('birth_date') }}
                or {{ member_analytics.is_bad_value('is_marketing_opt_out') }}
                then 'bad_type'
            else {{ member_analytics.date_window_reason('registered_at') }}
        end as row_rejection_reason
    from touched
),

keyed as (
    select
        *,
        {{ member_analytics.candidates_per_key(['shop_id', 'member_id']) }} as candidates_with_key
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
        member_id,
        gender,
        province,
        city,
        has_phone,
        phone_hash,
        nickname_hash,
        row_status,
        rejection_reason,
        {{ member_analytics.rejected_source_record('members', redacted=['phone', 'nickname']) }} as source_record,
        coalesce(is_marketing_opt_out, false) as is_marketing_opt_out,
        birth_date,
        registered_at,
        staging_key,
        raw_load_location as load_location,
        {{ member_analytics.load_version_column(loads.versions) }} as load_version
    from statused
    {{ member_analytics.load_versions_join('statused', 'members', loads.versions) }}
)

select * from final
