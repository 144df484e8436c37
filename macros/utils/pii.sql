{#- Personal data is pseudonymised with a keyed sha256: sha256(key || '|' || value),
    the same on DuckDB and Spark, so a member's hash stays the same across builds
    and engines while nobody without the key can recompute it from a phone number.
    The key is read at query time from the file named by the environment variable
    MEMBER_ANALYTICS_PII_KEY_FILE (bin/_env.sh creates one on first use). Only the
    file's path is rendered into SQL: the key never reaches compiled SQL, target/,
    logs/ or manifest.json (docs/decisions/0062). -#}

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

{#- Spaces, tabs and line ends around the key are not part of it (a key file
    written by `echo` ends with a newline; Spark's line reader drops it). -#}
{% macro default__pii_key_relation(path) -%}
    (select trim(content, chr(32) || chr(9) || chr(10) || chr(13)) as pii_key from read_text('{{ path }}'))
{%- endmacro %}

{% macro spark__pii_key_relation(path) -%}
    (select trim(value) as pii_key from text.`{{ path }}` limit 1)
{%- endmacro %}


{#- Keyed sha256 (hex) of a personal-data value; null stays null. key_column is
    the pii_key column of pii_key_relation() joined into the query. -#}
{% macro pii_keyed_hash(expression, key_column='pii_key.pii_key') -%}
    case
        when {{ expression }} is not null
            then {{ member_analytics.sha256_hex("concat(" ~ key_column ~ ", '|', " ~ expression ~ ")") }}
    end
{%- endmacro %}
