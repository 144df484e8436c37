{#- RFM scoring and the rules derived from it (docs/decisions/0010-0013), used by int_member_rfm_scored; described in _rules__macros.yml. -#}

{#- A 1–5 score: 1 + floor(5 × (rank − 1) / n); ties share a score. -#}
{% macro rfm_score(partition_by, order_by) -%}
    cast(1 + {{ member_analytics.integer_divide(
        '(5 * (rank() over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ') - 1))',
        '(count(*) over (partition by ' ~ partition_by ~ '))') }} as int)
{%- endmacro %}


{#- The three scores: recency, frequency, monetary. -#}
{% macro rfm_scores(partition_by) -%}
    {{ member_analytics.rfm_score(partition_by, 'recency_days desc') }} as r_score,
    {{ member_analytics.rfm_score(partition_by, 'frequency asc') }} as f_score,
    {{ member_analytics.rfm_score(partition_by, 'monetary asc') }} as m_score
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
