{#- RFM scoring and the rules derived from it (docs/decisions/0010), the one
    definition used by fct_member_rfm and fct_member_rfm_history. Arguments
    are column expressions. -#}

{#- A 1–5 score: 1 + floor(5 × (rank − 1) / n) within the partition (a shop,
    or a shop at one snapshot), where rank() is ordered so that better comes
    later and n is the number of scored members. Ties share a rank, so they
    share a score (scores may skip values: frequencies {1 ×7, 2 ×2, 5 ×1}
    score 1, 4, 5). The ordering deliberately does not end in the member key:
    a tie-break would give equal members different scores. Integer division
    (dispatched) so DuckDB and Spark agree. -#}
{% macro rfm_score(partition_by, order_by) -%}
    cast(1 + {{ member_analytics.integer_divide(
        '(5 * (rank() over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ') - 1))',
        '(count(*) over (partition by ' ~ partition_by ~ '))') }} as int)
{%- endmacro %}


{#- The three scores: recency (fewer days is better, so it sorts descending),
    frequency and monetary (more is better). -#}
{% macro rfm_scores(partition_by) -%}
    {{ member_analytics.rfm_score(partition_by, 'recency_days desc') }} as r_score,
    {{ member_analytics.rfm_score(partition_by, 'frequency asc') }} as f_score,
    {{ member_analytics.rfm_score(partition_by, 'monetary asc') }} as m_score
{%- endmacro %}


{#- The seller's recency band: active_period up to the active var (90 days),
    silent_period up to the silent var (180), sleeping_period up to the
    sleeping var (270), lost_period beyond. Upper bounds inclusive. -#}
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


{#- The loyalty-ladder rung: the number of valid purchases, capped at the top
    step (5): 1 = one-time buyer, 2 = two purchases ... 5 = five or more. -#}
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
