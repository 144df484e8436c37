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
