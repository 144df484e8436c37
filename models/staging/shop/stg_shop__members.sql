-- One row per raw members row, typed and normalised, with its row_status and
-- rejection_reason. Phone and nickname are pseudonymised here, before anything is
-- stored: keyed sha256 (macros/utils/pii.sql) and a has_phone flag; their clear
-- values are redacted from source_record. Birth date stays in this layer; marts
-- get age bands and birthday month/day only.
with

source as (
    select * from {{ source('shop', 'members') }}
),

numbered as (
    select
        source.*,
        pii_key.pii_key,
        {{ member_analytics.copy_number('members') }} as copy_number,
        {{ member_analytics.source_record('members', redacted=['phone', 'nickname']) }} as source_record
    from source
    cross join {{ member_analytics.pii_key_relation() }} as pii_key
),

typed as (
    select
        {{ member_analytics.clean_text('numbered.shop_id') }} as shop_id,
        {{ member_analytics.clean_text('numbered.member_id') }} as member_id,
        case
            when {{ member_analytics.clean_code('numbered.gender') }} in ('m', 'male', '男') then 'male'
            when {{ member_analytics.clean_code('numbered.gender') }} in ('f', 'female', '女') then 'female'
            else 'unknown'
        end as gender,
        {{ member_analytics.clean_text('numbered.province') }} as province,
        {{ member_analytics.clean_text('numbered.city') }} as city,
        {{ member_analytics.clean_text('numbered.phone') }} is not null as has_phone,
        {{ member_analytics.pii_keyed_hash(member_analytics.clean_text('numbered.phone'), 'numbered.pii_key') }} as phone_hash,
        {{ member_analytics.pii_keyed_hash(member_analytics.clean_text('numbered.nickname'), 'numbered.pii_key') }} as nickname_hash,
        {{ member_analytics.parse_boolean('numbered.is_marketing_opt_out') }} as is_marketing_opt_out,
        {{ member_analytics.typed_value('numbered.birth_date', 'date') }} as birth_date,
        {{ member_analytics.typed_value('numbered.registered_at', 'timestamp') }} as registered_at,
        (
            {{ member_analytics.is_bad_value('numbered.registered_at', 'timestamp') }}
            or {{ member_analytics.is_bad_value('numbered.birth_date', 'date') }}
            or (
                {{ member_analytics.clean_text('numbered.is_marketing_opt_out') }} is not null
                and {{ member_analytics.parse_boolean('numbered.is_marketing_opt_out') }} is null
            )
        ) as has_bad_type,
        numbered.copy_number,
        numbered.source_record
    from numbered
),

checked as (
    select
        *,
        case
            when shop_id is null or member_id is null then 'missing_key'
            when has_bad_type then 'bad_type'
            else {{ member_analytics.date_window_reason('registered_at') }}
        end as row_rejection_reason
    from typed
),

keyed as (
    select
        *,
        {{ member_analytics.candidates_per_key(['shop_id', 'member_id']) }} as candidates_with_key
    from checked
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
        {{ member_analytics.row_status_columns(key_conflict='candidates_with_key > 1') }},
        source_record,
        coalesce(is_marketing_opt_out, false) as is_marketing_opt_out,
        birth_date,
        registered_at
    from keyed
)

select * from final
