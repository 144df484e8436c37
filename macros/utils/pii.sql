{#- Keyed sha256 of personal data (docs/decisions/0062); described in _utils__macros.yml. -#}

{% macro pii_key_file() %}
    {% set path = env_var('MEMBER_ANALYTICS_PII_KEY_FILE', '') %}
    {% if path == '' %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: MEMBER_ANALYTICS_PII_KEY_FILE is not set. It names the file holding the key"
            ~ " that pseudonymises phone numbers and nicknames; bin/_env.sh creates secrets/pii_key"
            ~ " on first use (docs/decisions/0062).") }}
    {% endif %}
    {{ return(member_analytics.validated_path(path, 'MEMBER_ANALYTICS_PII_KEY_FILE')) }}
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
