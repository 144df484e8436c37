-- One row per shop and member: registered members, buyers (any kept order)
-- and members seen only in events, with personal data reduced. The rules are
-- in int_members_unified; this mart publishes its rows.
with

members as (
    select * from {{ ref('int_members_unified') }}
),

final as (
    select
        shop_id,
        member_id,
        member_source,
        gender,
        province,
        city,
        age_band,
        phone_hash,
        nickname_hash,
        birth_month,
        birth_day,
        is_registered_member,
        is_buyer,
        has_phone,
        is_marketing_opt_out,
        registered_date,
        first_seen_date,
        registered_at
    from members
)

select * from final
