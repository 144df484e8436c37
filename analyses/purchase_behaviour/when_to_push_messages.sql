-- Question: "When should we push messages to each shop's members?" The three
-- busiest weekday × hour slots of each shop (most valid orders, then most
-- buyers, then the earlier weekday and hour), with how many members have that
-- slot's hour band and weekday as their own preferred time: push shortly
-- before the slot, and target those members first.
with

time_profile as (
    select * from {{ ref('rpt_order_time_profile') }}
),

profiles as (
    select * from {{ ref('fct_member_purchase_profile') }}
),

ranked_slots as (
    select
        shop_id,
        hour_band,
        weekday_name,
        hour_of_day,
        iso_weekday,
        number_of_orders,
        number_of_buyers,
        share_of_orders,
        row_number() over (
            partition by shop_id
            order by number_of_orders desc, number_of_buyers desc, iso_weekday asc, hour_of_day asc
        ) as slot_rank
    from time_profile
),

preferences as (
    select
        shop_id,
        preferred_hour_band,
        preferred_iso_weekday,
        count(*) as members_preferring_band_and_weekday
    from profiles
    group by shop_id, preferred_hour_band, preferred_iso_weekday
),

final as (
    select
        ranked_slots.shop_id,
        ranked_slots.slot_rank,
        ranked_slots.weekday_name,
        ranked_slots.hour_band,
        ranked_slots.iso_weekday,
        ranked_slots.hour_of_day,
        ranked_slots.number_of_orders,
        ranked_slots.number_of_buyers,
        ranked_slots.share_of_orders,
        coalesce(preferences.members_preferring_band_and_weekday, 0) as members_preferring_band_and_weekday
    from ranked_slots
    left join preferences
        on
            ranked_slots.shop_id = preferences.shop_id
            and ranked_slots.hour_band = preferences.preferred_hour_band
            and ranked_slots.iso_weekday = preferences.preferred_iso_weekday
    where ranked_slots.slot_rank <= 3
)

select * from final
order by shop_id asc, slot_rank asc
