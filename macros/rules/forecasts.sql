{#- A forecast var (member_analytics__forecasts__<name>), checked to be a number. -#}
{% macro forecast_var(name) -%}
    {{ return(member_analytics.validated_number('member_analytics__forecasts__' ~ name)) }}
{%- endmacro %}


{#- The values of a column of the group's rows as an array (the fit functions' input). -#}
{% macro forecast_array(expression) %}
    {{ return(adapter.dispatch('forecast_array', 'member_analytics')(expression)) }}
{% endmacro %}

{% macro default__forecast_array(expression) -%}
    list(cast({{ expression }} as double))
{%- endmacro %}

{% macro spark__forecast_array(expression) -%}
    collect_list(cast({{ expression }} as double))
{%- endmacro %}


{#- A field of a struct (a fit's result). -#}
{% macro struct_field(expression, field) %}
    {{ return(adapter.dispatch('struct_field', 'member_analytics')(expression, field)) }}
{% endmacro %}

{% macro default__struct_field(expression, field) -%}
    struct_extract({{ expression }}, '{{ field }}')
{%- endmacro %}

{% macro spark__struct_field(expression, field) -%}
    {{ expression }}.{{ field }}
{%- endmacro %}


{#- Fields of a struct as columns named prefix + field (a select-list fragment). -#}
{% macro struct_fields(expression, prefix, fields) -%}
    {%- for field in fields -%}
        {{ member_analytics.struct_field(expression, field) }} as {{ prefix }}{{ field }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- BG/NBD or MBG/NBD (model: a SQL string literal) fitted on the group's compact rows (an aggregate). -#}
{% macro purchase_model_fit(model, frequency, recency, age, weight) -%}
    member_analytics_purchase_model_fit(
        {{ model }},
        {{ member_analytics.forecast_array(frequency) }},
        {{ member_analytics.forecast_array(recency) }},
        {{ member_analytics.forecast_array(age) }},
        {{ member_analytics.forecast_array(weight) }}
    )
{%- endmacro %}


{#- The purchase fits (BG/NBD and MBG/NBD) of each fit period, scope and shop of a compact
    relation (fit_period, fit_scope, shop_id, observation_date, frequency, recency, age, weight). -#}
{% macro purchase_fits_of(compact) -%}
    select
        fit_period,
        fit_scope,
        shop_id,
        observation_date,
        cast(sum(weight) as bigint) as buyers,
        {{ member_analytics.purchase_model_fit("'bgnbd'", 'frequency', 'recency', 'age', 'weight') }} as bgnbd,
        {{ member_analytics.purchase_model_fit("'mbgnbd'", 'frequency', 'recency', 'age', 'weight') }} as mbgnbd
    from {{ compact }}
    group by fit_period, fit_scope, shop_id, observation_date
{%- endmacro %}


{#- Gamma-Gamma fitted on the group's compact rows (an aggregate). -#}
{% macro spend_model_fit(frequency, monetary_value, weight) -%}
    member_analytics_spend_model_fit(
        {{ member_analytics.forecast_array(frequency) }},
        {{ member_analytics.forecast_array(monetary_value) }},
        {{ member_analytics.forecast_array(weight) }}
    )
{%- endmacro %}


{#- True when a fit row's purchase models may be used: enough buyers and both converged. -#}
{% macro purchase_fit_usable(relation_alias) -%}
    coalesce(
        {{ relation_alias }}.buyers >= {{ member_analytics.forecast_var('min_buyers') }}
        and {{ member_analytics.struct_field(relation_alias ~ '.bgnbd', 'converged') }}
        and {{ member_analytics.struct_field(relation_alias ~ '.mbgnbd', 'converged') }},
        false
    )
{%- endmacro %}


{#- A forecast value rounded so builds repeat byte for byte: 12 decimal places for a member's
    value, fewer (places) for a sum or mean over members, whose last bits depend on the order in
    which the engine adds. -#}
{% macro forecast_round(expression, places=12) -%}
    round(cast({{ expression }} as double), {{ places }})
{%- endmacro %}


{#- Which models scored a member (fct_member_forecasts' columns in scope): the purchase models'
    fallback first, then the spend model's. -#}
{% macro forecast_model_status(relation_alias) -%}
    case
        when not {{ relation_alias }}.is_shop_fit_usable
            then concat(
                case when {{ relation_alias }}.is_all_shop_fit_usable then 'pooled_' else 'unscored_' end,
                case
                    when {{ relation_alias }}.buyers < {{ member_analytics.forecast_var('min_buyers') }}
                        then 'too_few_buyers'
                    else 'not_converged'
                end
            )
        when {{ relation_alias }}.is_spend_fit_usable then 'fitted'
        when coalesce({{ relation_alias }}.repeat_buyers, 0) = 0 then 'spend_mean_no_repeat_buyers'
        when not {{ relation_alias }}.gamma_gamma_converged then 'spend_mean_not_converged'
        else 'spend_mean_q_at_most_1'
    end
{%- endmacro %}


{#- The purchase days of each item (cycle_level 'product': a product_id; 'category': a category)
    per member: a day with a valid purchase holding it (rows: shop_id, cycle_level, item_id,
    member_id, ordered_date), from relations of valid order lines and products. -#}
{% macro item_purchase_days(order_items, products) -%}
    select distinct
        {{ order_items }}.shop_id,
        'product' as cycle_level,
        {{ order_items }}.product_id as item_id,
        {{ order_items }}.member_id,
        {{ order_items }}.ordered_date
    from {{ order_items }}
    union all
    select distinct
        {{ order_items }}.shop_id,
        'category' as cycle_level,
        {{ products }}.category as item_id,
        {{ order_items }}.member_id,
        {{ order_items }}.ordered_date
    from {{ order_items }}
    inner join {{ products }}
        on {{ order_items }}.shop_id = {{ products }}.shop_id and {{ order_items }}.product_id = {{ products }}.product_id
    where {{ products }}.category is not null
{%- endmacro %}


{#- The CTEs of the items' repurchase cycles, from a relation of the members' purchase days of
    each item with the days since the previous one (fct_audience_item_purchase_days):
    gap_histogram and gap_cumulative (per item: how many gaps of each length, and their running
    count) and item_cycles (per item: repeat members, gaps, the median and mean gap). The
    median comes from the histogram (the first length whose running count reaches the middle
    ranks), not from a grouped quantile, which spills tens of gigabytes at the large scale. With
    day_before (a date expression), every figure also as it stood on that day (purchase days up
    to it): the columns *_day_before. -#}
{% macro item_repurchase_cycle_ctes(item_days, day_before=none) -%}
gap_histogram as (
    select
        shop_id,
        cycle_level,
        item_id,
        gap_days,
        count(*) as gaps,
        -- a member's second purchase day of the item: one per repeat member
        count(case when purchase_day_number = 2 then 1 end) as repeat_members
        {%- if day_before is not none %},
        count(case when purchase_date <= {{ day_before }} then 1 end) as gaps_day_before,
        count(case when purchase_day_number = 2 and purchase_date <= {{ day_before }} then 1 end)
            as repeat_members_day_before
        {%- endif %}
    from {{ item_days }}
    where gap_days is not null
    group by shop_id, cycle_level, item_id, gap_days
),

gap_cumulative as (
    select
        *,
        sum(gaps) over (
            partition by shop_id, cycle_level, item_id order by gap_days rows between unbounded preceding and current row
        ) as gaps_up_to,
        sum(gaps) over (partition by shop_id, cycle_level, item_id) as item_gaps
        {%- if day_before is not none %},
        sum(gaps_day_before) over (
            partition by shop_id, cycle_level, item_id order by gap_days rows between unbounded preceding and current row
        ) as gaps_up_to_day_before,
        sum(gaps_day_before) over (partition by shop_id, cycle_level, item_id) as item_gaps_day_before
        {%- endif %}
    from gap_histogram
),

item_cycles as (
    select
        shop_id,
        cycle_level,
        item_id,
        cast(sum(repeat_members) as bigint) as repeat_members,
        cast(max(item_gaps) as bigint) as repurchase_gaps,
        {{ member_analytics.histogram_median('gap_days', 'gaps_up_to', 'item_gaps') }} as median_repurchase_days,
        sum(gap_days * gaps) / max(cast(item_gaps as double)) as mean_repurchase_days
        {%- if day_before is not none %},
        cast(sum(repeat_members_day_before) as bigint) as repeat_members_day_before,
        cast(max(item_gaps_day_before) as bigint) as repurchase_gaps_day_before,
        {{ member_analytics.histogram_median('gap_days', 'gaps_up_to_day_before', 'item_gaps_day_before') }}
            as median_repurchase_days_day_before
        {%- endif %}
    from gap_cumulative
    group by shop_id, cycle_level, item_id
)
{%- endmacro %}


{#- An aggregate: the median of a histogram's values, from each value's running count (rows in
    value order) and the total: the mean of the values at ranks (n + 1) div 2 and n div 2 + 1
    (the same rank for an odd n), each the first value whose running count reaches it; null when
    the total is 0. -#}
{% macro histogram_median(value, running_count, total) -%}
    case
        when max({{ total }}) > 0
            then cast(
                min(
                    case
                        when {{ running_count }} >= {{ member_analytics.integer_divide('(' ~ total ~ ' + 1)', 2) }}
                            then {{ value }}
                    end
                )
                + min(
                    case
                        when {{ running_count }} >= {{ member_analytics.integer_divide(total, 2) }} + 1
                            then {{ value }}
                    end
                ) as double
            ) / 2
    end
{%- endmacro %}
