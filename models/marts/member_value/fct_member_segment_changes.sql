-- One row per shop, member, snapshot date and changed attribute (rfm_segment
-- or recency_band): the value at the member's previous snapshot, the new one
-- ("champions -> at_risk") and whether it is a downgrade (a less valuable
-- segment, a later recency band). A member's first snapshot is not a change;
-- a snapshot is compared with the member's previous scored snapshot.
with

history as (
    select * from {{ ref('fct_member_rfm_history') }}
),

segments as (
    select * from {{ ref('rfm_segments') }}
),

sequenced as (
    select
        shop_id,
        member_id,
        rfm_segment,
        recency_band,
        lag(rfm_segment) over (
            partition by shop_id, member_id order by snapshot_date
        ) as previous_rfm_segment,
        lag(recency_band) over (
            partition by shop_id, member_id order by snapshot_date
        ) as previous_recency_band,
        {{ member_analytics.recency_band_order('recency_band') }} as band_order,
        lag({{ member_analytics.recency_band_order('recency_band') }}) over (
            partition by shop_id, member_id order by snapshot_date
        ) as previous_band_order,
        r_score,
        f_score,
        m_score,
        lag(r_score) over (partition by shop_id, member_id order by snapshot_date) as previous_r_score,
        lag(f_score) over (partition by shop_id, member_id order by snapshot_date) as previous_f_score,
        lag(m_score) over (partition by shop_id, member_id order by snapshot_date) as previous_m_score,
        snapshot_date,
        lag(snapshot_date) over (partition by shop_id, member_id order by snapshot_date) as previous_snapshot_date
    from history
),

changes as (
    select
        shop_id,
        member_id,
        'rfm_segment' as changed_attribute,
        previous_rfm_segment as previous_value,
        rfm_segment as new_value,
        previous_band_order,
        band_order,
        previous_r_score,
        previous_f_score,
        previous_m_score,
        r_score,
        f_score,
        m_score,
        snapshot_date,
        previous_snapshot_date
    from sequenced
    where previous_rfm_segment <> rfm_segment
    union all
    select
        shop_id,
        member_id,
        'recency_band' as changed_attribute,
        previous_recency_band as previous_value,
        recency_band as new_value,
        previous_band_order,
        band_order,
        previous_r_score,
        previous_f_score,
        previous_m_score,
        r_score,
        f_score,
        m_score,
        snapshot_date,
        previous_snapshot_date
    from sequenced
    where previous_recency_band <> recency_band
),

final as (
    select
        changes.shop_id,
        changes.member_id,
        changes.changed_attribute,
        changes.previous_value,
        changes.new_value,
        concat(changes.previous_value, ' -> ', changes.new_value) as transition,
        cast(changes.previous_r_score as int) as previous_r_score,
        cast(changes.previous_f_score as int) as previous_f_score,
        cast(changes.previous_m_score as int) as previous_m_score,
        cast(changes.r_score as int) as r_score,
        cast(changes.f_score as int) as f_score,
        cast(changes.m_score as int) as m_score,
        case
            when changes.changed_attribute = 'rfm_segment'
                then new_segments.segment_order > previous_segments.segment_order
            else changes.band_order > changes.previous_band_order
        end as is_downgrade,
        changes.snapshot_date,
        changes.previous_snapshot_date
    from changes
    left join segments as previous_segments
        on
            changes.changed_attribute = 'rfm_segment'
            and changes.previous_value = previous_segments.rfm_segment
    left join segments as new_segments
        on
            changes.changed_attribute = 'rfm_segment'
            and changes.new_value = new_segments.rfm_segment
)

select * from final
