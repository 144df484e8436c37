{#- Campaign lift: 95% confidence intervals for treatment (t) against holdout (h)
    (spec "Lift statistics"); described in _campaign_lift__macros.yml, checked by
    pytests/test_campaign_lift_intervals.py. Every macro returns one SQL expression in
    plain functions both DuckDB and Spark SQL have (sqrt, ln, exp, power, nullif, case,
    cast). Inputs are cast to double before any division (the engines' integer
    division differs), and a bound is null, never an error, when it is undefined. -#}

{#- z, the standard normal 0.975 quantile: the one confidence level of every interval here. -#}
{% macro lift_z() -%}
    {{ return(1.959963984540054) }}
{%- endmacro %}


{#- '-' for the lower bound, '+' for the upper. -#}
{% macro lift_sign(side) -%}
    {%- if side == 'lower' -%}
        {{ return('-') }}
    {%- elif side == 'upper' -%}
        {{ return('+') }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("side must be 'lower' or 'upper', got " ~ side) }}
{%- endmacro %}


{#- c0 + v * (c1 + v * (c2 + ...)): a polynomial in Horner form, coefficients as doubles. -#}
{% macro lift_horner(variable, coefficients) -%}
    {%- set polynomial = namespace(sql='cast(' ~ coefficients[-1] ~ ' as double)') -%}
    {%- for coefficient in coefficients[:-1] | reverse -%}
        {%- set polynomial.sql = 'cast(' ~ coefficient ~ ' as double) + ' ~ variable ~ ' * (' ~ polynomial.sql ~ ')' -%}
    {%- endfor -%}
    {{ return(polynomial.sql) }}
{%- endmacro %}


{#- Wilson score interval for x successes out of n. -#}
{% macro wilson_bound(x, n, side) -%}
    {%- set z = member_analytics.lift_z() -%}
    {%- set successes = 'cast(' ~ x ~ ' as double)' -%}
    {%- set trials = 'cast(' ~ n ~ ' as double)' -%}
    case
        when {{ trials }} > 0 and {{ successes }} >= 0 and {{ successes }} <= {{ trials }}
            then (
                2 * {{ successes }} + cast({{ z * z }} as double)
                {{ member_analytics.lift_sign(side) }} cast({{ z }} as double) * sqrt(
                    cast({{ z * z }} as double)
                    + 4 * {{ successes }} * ({{ trials }} - {{ successes }}) / nullif({{ trials }}, 0)
                )
            ) / (2 * ({{ trials }} + cast({{ z * z }} as double)))
    end
{%- endmacro %}

{% macro wilson_lower(x, n) -%}
    {{ member_analytics.wilson_bound(x, n, 'lower') }}
{%- endmacro %}

{% macro wilson_upper(x, n) -%}
    {{ member_analytics.wilson_bound(x, n, 'upper') }}
{%- endmacro %}


{#- Newcombe's hybrid score interval (method 10) for p_t - p_h, from the arms' Wilson intervals. -#}
{% macro proportion_difference_bound(x_t, n_t, x_h, n_h, side) -%}
    {%- set p_t = 'cast(' ~ x_t ~ ' as double) / nullif(cast(' ~ n_t ~ ' as double), 0)' -%}
    {%- set p_h = 'cast(' ~ x_h ~ ' as double) / nullif(cast(' ~ n_h ~ ' as double), 0)' -%}
    {%- if side == 'lower' -%}
        {%- set treatment_gap = p_t ~ ' - ' ~ member_analytics.wilson_lower(x_t, n_t) -%}
        {%- set holdout_gap = member_analytics.wilson_upper(x_h, n_h) ~ ' - ' ~ p_h -%}
    {%- else -%}
        {%- set treatment_gap = member_analytics.wilson_upper(x_t, n_t) ~ ' - ' ~ p_t -%}
        {%- set holdout_gap = p_h ~ ' - ' ~ member_analytics.wilson_lower(x_h, n_h) -%}
    {%- endif -%}
    ({{ p_t }} - {{ p_h }})
    {{ member_analytics.lift_sign(side) }} sqrt(
        power({{ treatment_gap }}, 2)
        + power({{ holdout_gap }}, 2)
    )
{%- endmacro %}

{% macro proportion_difference_lower(x_t, n_t, x_h, n_h) -%}
    {{ member_analytics.proportion_difference_bound(x_t, n_t, x_h, n_h, 'lower') }}
{%- endmacro %}

{% macro proportion_difference_upper(x_t, n_t, x_h, n_h) -%}
    {{ member_analytics.proportion_difference_bound(x_t, n_t, x_h, n_h, 'upper') }}
{%- endmacro %}


{#- Katz log risk-ratio interval for p_t / p_h, minus 1. -#}
{% macro relative_conversion_lift_bound(x_t, n_t, x_h, n_h, side) -%}
    {%- set successes_t = 'cast(' ~ x_t ~ ' as double)' -%}
    {%- set trials_t = 'cast(' ~ n_t ~ ' as double)' -%}
    {%- set successes_h = 'cast(' ~ x_h ~ ' as double)' -%}
    {%- set trials_h = 'cast(' ~ n_h ~ ' as double)' -%}
    case
        when
            {{ successes_t }} > 0 and {{ successes_t }} <= {{ trials_t }}
            and {{ successes_h }} > 0 and {{ successes_h }} <= {{ trials_h }}
            then exp(
                ln(
                    ({{ successes_t }} / nullif({{ trials_t }}, 0))
                    / nullif({{ successes_h }} / nullif({{ trials_h }}, 0), 0)
                )
                {{ member_analytics.lift_sign(side) }} cast({{ member_analytics.lift_z() }} as double) * sqrt(
                    1 / nullif({{ successes_t }}, 0) - 1 / nullif({{ trials_t }}, 0)
                    + 1 / nullif({{ successes_h }}, 0) - 1 / nullif({{ trials_h }}, 0)
                )
            ) - 1
    end
{%- endmacro %}

{% macro relative_conversion_lift_lower(x_t, n_t, x_h, n_h) -%}
    {{ member_analytics.relative_conversion_lift_bound(x_t, n_t, x_h, n_h, 'lower') }}
{%- endmacro %}

{% macro relative_conversion_lift_upper(x_t, n_t, x_h, n_h) -%}
    {{ member_analytics.relative_conversion_lift_bound(x_t, n_t, x_h, n_h, 'upper') }}
{%- endmacro %}


{#- The t distribution's 0.975 quantile for df degrees of freedom (df >= 1, not
    necessarily whole): for df >= 5 the Cornish-Fisher expansion in z to the fifth
    term, 1/df^5 (Abramowitz & Stegun 26.7.5); for 1 <= df < 5, where that series is
    poor, exp of a degree-6 polynomial in 1/df fitted to scipy.stats.t.ppf (least
    squares at Chebyshev nodes). Null below 1. -#}
{% macro t_quantile_975(df) -%}
    {%- set z = member_analytics.lift_z() -%}
    {%- set cornish_fisher = [
        z,
        (z ** 3 + z) / 4,
        (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96,
        (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384,
        (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160,
        (27 * z ** 11 + 339 * z ** 9 + 930 * z ** 7 - 1782 * z ** 5 - 765 * z ** 3 + 17955 * z) / 368640,
    ] -%}
    {%- set small_df_log_fit = [
        0.672580943839088,
        1.216056843945439,
        0.6693422885512402,
        0.2879758550904206,
        -0.5099070598522223,
        0.2521641969290171,
        -0.04612240392068882,
    ] -%}
    {%- set degrees = 'cast(' ~ df ~ ' as double)' -%}
    {%- set inverse = '(1 / nullif(' ~ degrees ~ ', 0))' -%}
    case
        when {{ degrees }} >= 5
            then {{ member_analytics.lift_horner(inverse, cornish_fisher) }}
        when {{ degrees }} >= 1
            then exp({{ member_analytics.lift_horner(inverse, small_df_log_fit) }})
    end
{%- endmacro %}


{#- Welch interval for mean_t - mean_h (sample variances), Welch-Satterthwaite df. -#}
{% macro welch_difference_bound(mean_t, var_t, n_t, mean_h, var_h, n_h, side) -%}
    {%- set variance_t = 'cast(' ~ var_t ~ ' as double)' -%}
    {%- set variance_h = 'cast(' ~ var_h ~ ' as double)' -%}
    {%- set size_t = 'cast(' ~ n_t ~ ' as double)' -%}
    {%- set size_h = 'cast(' ~ n_h ~ ' as double)' -%}
    {%- set squared_error_t = '(' ~ variance_t ~ ' / nullif(' ~ size_t ~ ', 0))' -%}
    {%- set squared_error_h = '(' ~ variance_h ~ ' / nullif(' ~ size_h ~ ', 0))' -%}
    {%- set welch_df = 'power(' ~ squared_error_t ~ ' + ' ~ squared_error_h ~ ', 2) / nullif('
        ~ 'power(' ~ squared_error_t ~ ', 2) / nullif(' ~ size_t ~ ' - 1, 0)'
        ~ ' + power(' ~ squared_error_h ~ ', 2) / nullif(' ~ size_h ~ ' - 1, 0), 0)' -%}
    case
        when
            {{ size_t }} >= 2 and {{ size_h }} >= 2
            and {{ variance_t }} >= 0 and {{ variance_h }} >= 0
            and {{ variance_t }} + {{ variance_h }} > 0
            then (cast({{ mean_t }} as double) - cast({{ mean_h }} as double))
                {{ member_analytics.lift_sign(side) }} {{ member_analytics.t_quantile_975(welch_df) }}
                * sqrt({{ squared_error_t }} + {{ squared_error_h }})
    end
{%- endmacro %}

{% macro welch_difference_lower(mean_t, var_t, n_t, mean_h, var_h, n_h) -%}
    {{ member_analytics.welch_difference_bound(mean_t, var_t, n_t, mean_h, var_h, n_h, 'lower') }}
{%- endmacro %}

{% macro welch_difference_upper(mean_t, var_t, n_t, mean_h, var_h, n_h) -%}
    {{ member_analytics.welch_difference_bound(mean_t, var_t, n_t, mean_h, var_h, n_h, 'upper') }}
{%- endmacro %}


{#- Delta-method interval on ln(mean_t / mean_h), exponentiated, minus 1. -#}
{% macro relative_mean_lift_bound(mean_t, var_t, n_t, mean_h, var_h, n_h, side) -%}
    {%- set average_t = 'cast(' ~ mean_t ~ ' as double)' -%}
    {%- set average_h = 'cast(' ~ mean_h ~ ' as double)' -%}
    {%- set variance_t = 'cast(' ~ var_t ~ ' as double)' -%}
    {%- set variance_h = 'cast(' ~ var_h ~ ' as double)' -%}
    {%- set size_t = 'cast(' ~ n_t ~ ' as double)' -%}
    {%- set size_h = 'cast(' ~ n_h ~ ' as double)' -%}
    case
        when
            {{ size_t }} >= 2 and {{ size_h }} >= 2
            and {{ average_t }} > 0 and {{ average_h }} > 0
            and {{ variance_t }} >= 0 and {{ variance_h }} >= 0
            then exp(
                ln({{ average_t }} / nullif({{ average_h }}, 0))
                {{ member_analytics.lift_sign(side) }} cast({{ member_analytics.lift_z() }} as double) * sqrt(
                    {{ variance_t }} / nullif({{ size_t }} * power({{ average_t }}, 2), 0)
                    + {{ variance_h }} / nullif({{ size_h }} * power({{ average_h }}, 2), 0)
                )
            ) - 1
    end
{%- endmacro %}

{% macro relative_mean_lift_lower(mean_t, var_t, n_t, mean_h, var_h, n_h) -%}
    {{ member_analytics.relative_mean_lift_bound(mean_t, var_t, n_t, mean_h, var_h, n_h, 'lower') }}
{%- endmacro %}

{% macro relative_mean_lift_upper(mean_t, var_t, n_t, mean_h, var_h, n_h) -%}
    {{ member_analytics.relative_mean_lift_bound(mean_t, var_t, n_t, mean_h, var_h, n_h, 'upper') }}
{%- endmacro %}
