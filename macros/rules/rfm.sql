{#- RFM scoring and the rules derived from it (docs/decisions/0010-0013), used by int_member_rfm_current and int_member_rfm_scored; described in _rules__macros.yml. -#}

{#- A 1–5 score: 1 + floor(5 × (rank − 1) / n); ties share a score. -#}
{% macro rfm_score(partition_by, order_by) -%}
    cast(1 + {{ member_analytics.integer_divide(
        '(5 * (rank() over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ') - 1))',
        '(count(*) over (partition by ' ~ partition_by ~ '))') }} as int)
{%- endmacro %}


{#- The three scores: recency (by days in bands, or relative: var
    member_analytics__rfm__recency_scoring), frequency, monetary (relative). -#}
{% macro rfm_scores(partition_by) -%}
    {%- if member_analytics.rfm_recency_scoring() == 'bands' %}
    {{ member_analytics.recency_score('recency_days') }} as r_score,
    {%- else %}
    {{ member_analytics.rfm_score(partition_by, 'recency_days desc') }} as r_score,
    {%- endif %}
    {{ member_analytics.rfm_score(partition_by, 'frequency asc') }} as f_score,
    {{ member_analytics.rfm_score(partition_by, 'monetary asc') }} as m_score
{%- endmacro %}


{#- The CTEs that score RFM measures (docs/decisions/0010, 0129), ending in
    scored_members (the columns of int_member_rfm_scored): over the CTE `members` names
    (one row per shop, member and snapshot: snapshot_date, is_partial_month,
    is_as_of_date_snapshot, as_of_date, frequency, purchase_days, monetary, first and
    last purchase date). Scores are computed within the shop at each snapshot, so a
    snapshot scores the same alone or with others. -#}
{% macro rfm_scored_ctes(members) -%}
    -- the map's rows for the recency scoring mode of this build
    segment_map as (
        select * from {{ ref('rfm_segment_map') }}
        where recency_scoring = '{{ member_analytics.rfm_recency_scoring() }}'
    ),

    measured as (
        select
            *,
            cast({{ dbt.datediff('last_purchase_date', 'snapshot_date', 'day') }} as int) as recency_days
        from {{ members }}
    ),

    scored as (
        select
            *,
            {{ member_analytics.rfm_scores('shop_id, snapshot_date, is_as_of_date_snapshot') }}
        from measured
    ),

    scored_members as (
        select
            scored.shop_id,
            scored.member_id,
            segment_map.rfm_segment,
            {{ member_analytics.recency_band('scored.recency_days') }} as recency_band,
            scored.recency_days,
            cast(scored.frequency as bigint) as frequency,
            cast(scored.purchase_days as bigint) as purchase_days,
            cast(scored.monetary as decimal(38, 2)) as monetary,
            {{ member_analytics.money_per('scored.monetary', 'scored.frequency') }} as average_order_value,
            scored.r_score,
            scored.f_score,
            scored.m_score,
            {{ member_analytics.loyalty_ladder_step('scored.frequency') }} as loyalty_ladder_step,
            scored.is_partial_month,
            scored.is_as_of_date_snapshot,
            scored.snapshot_date,
            scored.first_purchase_date,
            scored.last_purchase_date
        from scored
        left join segment_map
            on
                scored.r_score = segment_map.r_score
                and scored.f_score = segment_map.f_score
                and scored.m_score = segment_map.m_score
    )
{%- endmacro %}


{#- How the R score is given: 'bands' or 'quantiles' (validated var). -#}
{% macro rfm_recency_scoring() %}
    {%- set mode = var('member_analytics__rfm__recency_scoring') | string | trim | lower -%}
    {%- if mode not in ('bands', 'quantiles') -%}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var 'member_analytics__rfm__recency_scoring' must be 'bands' or 'quantiles', got '"
            ~ var('member_analytics__rfm__recency_scoring') ~ "'") }}
    {%- endif -%}
    {{ return(mode) }}
{% endmacro %}


{#- The R score in bands mode, from days since the last valid purchase:
    5 up to recency_r5_max_days, 4 up to active_period_max_days, 3 up to
    silent_period_max_days, 2 up to sleeping_period_max_days, 1 beyond
    (inclusive bounds; they must increase). -#}
{% macro recency_score(recency_days) -%}
    {%- set bounds = [
        'member_analytics__rfm__recency_r5_max_days',
        'member_analytics__rfm__active_period_max_days',
        'member_analytics__rfm__silent_period_max_days',
        'member_analytics__rfm__sleeping_period_max_days'] -%}
    {%- set values = [] -%}
    {%- for name in bounds -%}
        {%- set value = member_analytics.validated_number(name) | float -%}
        {%- if values and value <= values[-1] -%}
            {{ exceptions.raise_compiler_error(
                "member_analytics: var '" ~ name ~ "' (" ~ var(name) ~ ") must be greater than var '"
                ~ bounds[loop.index0 - 1] ~ "' (" ~ var(bounds[loop.index0 - 1]) ~ "): the recency bands must increase") }}
        {%- endif -%}
        {%- do values.append(value) -%}
    {%- endfor -%}
    cast(case
        when {{ recency_days }} <= {{ var(bounds[0]) }} then 5
        when {{ recency_days }} <= {{ var(bounds[1]) }} then 4
        when {{ recency_days }} <= {{ var(bounds[2]) }} then 3
        when {{ recency_days }} <= {{ var(bounds[3]) }} then 2
        else 1
    end as int)
{%- endmacro %}


{#- The seller's recency band (inclusive upper bounds, vars in days). -#}
{% macro recency_band(recency_days) -%}
    case
        when {{ recency_days }} <= {{ member_analytics.validated_number('member_analytics__rfm__active_period_max_days') }}
            then 'active_period'
        when {{ recency_days }} <= {{ member_analytics.validated_number('member_analytics__rfm__silent_period_max_days') }}
            then 'silent_period'
        when {{ recency_days }} <= {{ member_analytics.validated_number('member_analytics__rfm__sleeping_period_max_days') }}
            then 'sleeping_period'
        else 'lost_period'
    end
{%- endmacro %}


{#- The loyalty-ladder rung: valid purchases capped at the top step. -#}
{% macro loyalty_ladder_step(frequency) -%}
    cast(least({{ frequency }}, {{ member_analytics.validated_number('member_analytics__rfm__loyalty_ladder_top_step') }}) as int)
{%- endmacro %}


{#- The position of a recency band, 1 (active_period) to 4 (lost_period). -#}
{% macro recency_band_order(recency_band) -%}
    case {{ recency_band }}
        when 'active_period' then 1
        when 'silent_period' then 2
        when 'sleeping_period' then 3
        when 'lost_period' then 4
    end
{%- endmacro %}
