{#- The few places where DuckDB and Spark SQL differ; described in _utils__macros.yml. -#}

{#- Integer division truncating toward zero. -#}
{% macro integer_divide(numerator, denominator) %}
    {{ return(adapter.dispatch('integer_divide', 'member_analytics')(numerator, denominator)) }}
{% endmacro %}

{% macro default__integer_divide(numerator, denominator) -%}
    ({{ numerator }} // {{ denominator }})
{%- endmacro %}

{% macro spark__integer_divide(numerator, denominator) -%}
    ({{ numerator }} div {{ denominator }})
{%- endmacro %}


{#- Hex sha256 of a string. -#}
{% macro sha256_hex(expression) %}
    {{ return(adapter.dispatch('sha256_hex', 'member_analytics')(expression)) }}
{% endmacro %}

{% macro default__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{% macro spark__sha256_hex(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}


{#- A string without its leading and trailing spaces: the Unicode space
    separators (category Zs: the ASCII space, U+00A0, U+3000 and the other
    typographic spaces; not tabs or line breaks), the same on both engines.
    DuckDB's trim() removes exactly those; Spark's trim() only the ASCII space,
    so Spark strips \p{Zs} with a regular expression (without it a value padded
    with the ideographic space U+3000, common in Chinese exports, was blank or
    a missing-value spelling on DuckDB and a value on Spark). On DuckDB trim()
    copies every string, which was a third of staging's time, so it runs only
    where it can change something: a string that starts or ends with an ASCII
    space, or holds any non-ASCII character (more bytes than characters); the
    result is trim()'s, always (docs/decisions/0112). -#}
{% macro trimmed(expression) %}
    {{ return(adapter.dispatch('trimmed', 'member_analytics')(expression)) }}
{% endmacro %}

{% macro default__trimmed(expression) -%}
    case
        when {{ member_analytics.may_need_trim(expression) }}
            then trim({{ expression }})
        else {{ expression }}
    end
{%- endmacro %}

{#- DuckDB: true for the strings trim() can change (see trimmed). -#}
{% macro may_need_trim(expression) -%}
    ({{ expression }} like ' %' or {{ expression }} like '% ' or strlen({{ expression }}) <> length({{ expression }}))
{%- endmacro %}

{% macro spark__trimmed(expression) -%}
    regexp_replace({{ expression }}, '^\\p{Zs}+|\\p{Zs}+$', '')
{%- endmacro %}


{#- The ORDER BY of a top-N ranking window (row_number() ... <= N): the numeric
    expressions in `descending`, largest first, then the tie-breaks in `ascending`,
    smallest first. On DuckDB they are one key, a struct of the negated measures and
    the tie-breaks: with a single key DuckDB turns `row_number() <= N` into a top-N
    aggregate instead of sorting every row (docs/decisions/0116). -#}
{% macro ranking_order(descending, ascending) %}
    {{ return(adapter.dispatch('ranking_order', 'member_analytics')(descending, ascending)) }}
{% endmacro %}

{% macro default__ranking_order(descending, ascending) -%}
    {
    {%- for expression in descending %}'d{{ loop.index }}': -({{ expression }}), {% endfor -%}
    {%- for expression in ascending %}'a{{ loop.index }}': {{ expression }}{{ ', ' if not loop.last }}{% endfor -%}
    } asc
{%- endmacro %}

{% macro spark__ranking_order(descending, ascending) -%}
    {%- for expression in descending %}{{ expression }} desc, {% endfor -%}
    {%- for expression in ascending %}{{ expression }} asc{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}


{#- True when a string matches a regular expression (pattern: a literal). -#}
{% macro matches_regex(expression, pattern) %}
    {{ return(adapter.dispatch('matches_regex', 'member_analytics')(expression, pattern)) }}
{% endmacro %}

{% macro default__matches_regex(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__matches_regex(expression, pattern) -%}
    ({{ expression }} rlike '{{ pattern }}')
{%- endmacro %}


{#- The exact median: the 0.5 quantile. -#}
{% macro median(expression) -%}
    {{ member_analytics.quantile(expression, 0.5) }}
{%- endmacro %}


{#- An exact quantile over the values taken as doubles. -#}
{% macro quantile(expression, q) %}
    {{ return(adapter.dispatch('quantile', 'member_analytics')(expression, q)) }}
{% endmacro %}

{% macro default__quantile(expression, q) -%}
    quantile_cont(cast({{ expression }} as double), {{ q }})
{%- endmacro %}

{% macro spark__quantile(expression, q) -%}
    percentile(cast({{ expression }} as double), {{ q }})
{%- endmacro %}


{#- A SQL string literal of a text (quotes doubled; on Spark backslashes too). -#}
{% macro string_literal(text) %}
    {{ return(adapter.dispatch('string_literal', 'member_analytics')(text)) }}
{% endmacro %}

{% macro default__string_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__string_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{#- One row per number 1 … n of each row (a select-list expression). -#}
{% macro numbers_up_to(count_expression) %}
    {{ return(adapter.dispatch('numbers_up_to', 'member_analytics')(count_expression)) }}
{% endmacro %}

{% macro default__numbers_up_to(count_expression) -%}
    unnest(generate_series(1, {{ count_expression }}))
{%- endmacro %}

{% macro spark__numbers_up_to(count_expression) -%}
    explode(sequence(1, {{ count_expression }}))
{%- endmacro %}


{#- The keyword that makes a CTE read twice computed once, where the engine has one. -#}
{% macro materialized_cte() %}
    {{ return(adapter.dispatch('materialized_cte', 'member_analytics')()) }}
{% endmacro %}

{% macro default__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro spark__materialized_cte() -%}
{%- endmacro %}


{#- The values of a group joined into one string by a separator, in the order of
    `order_by` (an aggregate; order_by must make the order total). -#}
{% macro ordered_string_agg(value, order_by, separator) %}
    {{ return(adapter.dispatch('ordered_string_agg', 'member_analytics')(value, order_by, separator)) }}
{% endmacro %}

{% macro default__ordered_string_agg(value, order_by, separator) -%}
    string_agg({{ value }}, '{{ separator }}' order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_string_agg(value, order_by, separator) -%}
    array_join(
        transform(
            array_sort(collect_list(named_struct('sort_key', {{ order_by }}, 'item', {{ value }}))),
            entry -> entry.item
        ),
        '{{ separator }}'
    )
{%- endmacro %}
