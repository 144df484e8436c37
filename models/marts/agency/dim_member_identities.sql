-- One row per shop and member (every member of dim_members) when linking across shops is on
-- (var member_analytics__agency__link_members_across_shops); empty when it is off. Members of
-- any shops with the same keyed phone hash are one person; a member without a phone is a
-- person alone. The person key is a keyed sha256 with a secret of its own, not the phone
-- hash (docs/decisions/0126).
{%- set linking = member_analytics.agency_linking_enabled() %}

with

members as (
    select * from {{ ref('int_members_unified') }}
    where {{ 'true' if linking else 'false' }}
),

keyed as (
    select
        members.shop_id,
        members.member_id,
        members.has_phone,
        {{ member_analytics.person_key('members.phone_hash', 'members.shop_id', 'members.member_id') }} as person_key
    from members
    cross join {{ member_analytics.person_secret_relation() }} as person_secret
),

persons as (
    select
        person_key,
        count(distinct shop_id) as number_of_linked_shops,
        count(*) as number_of_person_members
    from keyed
    group by person_key
),

final as (
    select
        keyed.shop_id,
        keyed.member_id,
        keyed.person_key,
        cast(persons.number_of_linked_shops as bigint) as number_of_linked_shops,
        cast(persons.number_of_person_members as bigint) as number_of_person_members,
        persons.number_of_linked_shops > 1 as is_linked_across_shops,
        keyed.has_phone
    from keyed
    inner join persons
        on keyed.person_key = persons.person_key
)

select * from final
