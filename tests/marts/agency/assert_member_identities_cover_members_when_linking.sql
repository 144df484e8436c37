-- dim_member_identities (docs/decisions/0126): every member of dim_members when linking is
-- on, none when it is off; a person key is never a member's phone or nickname hash.
{%- set linking = member_analytics.agency_linking_enabled() %}

with

identities as (
    select * from {{ ref('dim_member_identities') }}
),

members as (
    select * from {{ ref('dim_members') }}
),

identity_rows as (
    select count(*) as number_of_rows from identities
),

member_rows as (
    select count(*) as number_of_rows from members
),

wrong_count as (
    select 'identity rows: ' || cast(identity_rows.number_of_rows as {{ dbt.type_string() }}) as problem
    from identity_rows
    cross join member_rows
    where identity_rows.number_of_rows <> {{ 'member_rows.number_of_rows' if linking else '0' }}
),

member_hashes as (
    select phone_hash as hash_value from members
    where phone_hash is not null
    union all
    select nickname_hash as hash_value from members
    where nickname_hash is not null
),

hash_as_key as (
    select 'a person key equals a hash: ' || identities.shop_id || '/' || identities.member_id as problem
    from identities
    inner join member_hashes
        on identities.person_key = member_hashes.hash_value
),

final as (
    select problem from wrong_count
    union all
    select problem from hash_as_key
)

select * from final
