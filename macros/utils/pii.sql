{#- Keyed sha256 of personal data (docs/decisions/0062); described in _utils__macros.yml. -#}

{#- The key file's path: var member_analytics__pii_key_file when set (a project that installs
    this one as a package sets it in its own dbt_project.yml), else the environment variable
    MEMBER_ANALYTICS_PII_KEY_FILE (docs/decisions/0127). Only the path reaches SQL. -#}
{% macro pii_key_file() %}
    {% set from_var = var('member_analytics__pii_key_file', '') or '' %}
    {% set name = 'member_analytics__pii_key_file' if from_var else 'MEMBER_ANALYTICS_PII_KEY_FILE' %}
    {% set path = from_var or env_var('MEMBER_ANALYTICS_PII_KEY_FILE', '') %}
    {% if path == '' %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: no key file for personal data. Set var member_analytics__pii_key_file or the"
            ~ " environment variable MEMBER_ANALYTICS_PII_KEY_FILE to the absolute path of the file holding the"
            ~ " key that pseudonymises phone numbers and nicknames (bin/_env.sh creates secrets/pii_key on first"
            ~ " use; docs/decisions/0062, 0127).") }}
    {% endif %}
    {{ return(member_analytics.validated_path(path, name)) }}
{% endmacro %}


{#- A one-row relation with the column pii_key (for a cross join). -#}
{% macro pii_key_relation() %}
    {{ return(adapter.dispatch('pii_key_relation', 'member_analytics')(member_analytics.pii_key_file())) }}
{% endmacro %}

{#- Spaces, tabs and line ends around the key are not part of it. -#}
{% macro default__pii_key_relation(path) -%}
    (select trim(content, chr(32) || chr(9) || chr(10) || chr(13)) as pii_key from read_text('{{ path }}'))
{%- endmacro %}

{% macro spark__pii_key_relation(path) -%}
    (select trim(value) as pii_key from text.`{{ path }}` limit 1)
{%- endmacro %}


{#- Keyed sha256 (hex) of a personal-data value. -#}
{% macro pii_keyed_hash(expression, key_column='pii_key.pii_key') -%}
    case
        when {{ expression }} is not null
            then {{ member_analytics.sha256_hex("concat(" ~ key_column ~ ", '|', " ~ expression ~ ")") }}
    end
{%- endmacro %}
