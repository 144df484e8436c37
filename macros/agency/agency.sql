{#- Linking members across an agency's shops (docs/decisions/0126); described in _agency__macros.yml. -#}

{#- Whether linking is on: the var as a SQL boolean literal, refused unless true or false. -#}
{% macro agency_linking_enabled() %}
    {% set name = 'member_analytics__agency__link_members_across_shops' %}
    {% set value = var(name) %}
    {% if value is sameas true or (value | string | lower) == 'true' %}
        {{ return(true) }}
    {% elif value is sameas false or (value | string | lower) == 'false' %}
        {{ return(false) }}
    {% endif %}
    {{ exceptions.raise_compiler_error(
        "member_analytics: var '" ~ name ~ "' must be true or false, got '" ~ value ~ "'") }}
{% endmacro %}


{#- The suppression threshold of rpt_shop_overlap: a whole number of at least 1. -#}
{% macro agency_overlap_min_members() %}
    {% set name = 'member_analytics__agency__overlap_min_members' %}
    {% set value = var(name) %}
    {% if not modules.re.match('^[0-9]+$', value | string) or (value | int) < 1 %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var '" ~ name ~ "' must be a whole number of members, at least 1, got '"
            ~ value ~ "'") }}
    {% endif %}
    {{ return(value | int) }}
{% endmacro %}


{#- The path of the person-key secret, a file separate from the phone-hash key. -#}
{% macro person_key_file() %}
    {#- var member_analytics__person_key_file when set, else the environment variable (docs/decisions/0127) -#}
    {% set from_var = var('member_analytics__person_key_file', '') or '' %}
    {% set name = 'member_analytics__person_key_file' if from_var else 'MEMBER_ANALYTICS_PERSON_KEY_FILE' %}
    {% set path = from_var or env_var('MEMBER_ANALYTICS_PERSON_KEY_FILE', '') %}
    {% if path == '' %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: linking members across shops is on, but MEMBER_ANALYTICS_PERSON_KEY_FILE is not"
            ~ " set (nor var member_analytics__person_key_file). It names the file holding the secret that"
            ~ " makes person keys (32 random bytes as 64 hex digits), separate from the phone-hash key; see"
            ~ " docs/decisions/0126 for what a shop group needs before turning linking on.") }}
    {% endif %}
    {% set path = member_analytics.validated_path(path, name) %}
    {% if path == member_analytics.pii_key_file() %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: MEMBER_ANALYTICS_PERSON_KEY_FILE must name a different file from"
            ~ " MEMBER_ANALYTICS_PII_KEY_FILE: the person key is made with a secret of its own"
            ~ " (docs/decisions/0126).") }}
    {% endif %}
    {{ return(path) }}
{% endmacro %}


{#- A one-row relation with the column person_secret: the secret read at query time when
    linking is on; a null when it is off (no file is read, none is needed). -#}
{% macro person_secret_relation() %}
    {% if not member_analytics.agency_linking_enabled() %}
        {{ return("(select cast(null as " ~ dbt.type_string() ~ ") as person_secret)") }}
    {% endif %}
    {#- the engines' readers of a key file (macros/utils/pii.sql), on this file -#}
    {% set key_file = adapter.dispatch('pii_key_relation', 'member_analytics')(member_analytics.person_key_file()) %}
    {{ return("(select pii_key as person_secret from " ~ key_file ~ " as key_file)") }}
{% endmacro %}


{#- The person key: keyed sha256 of the phone hash, or of the shop and member for a member
    without a phone (a person of one member, never linked). -#}
{% macro person_key(phone_hash, shop_id, member_id, secret_column='person_secret.person_secret') -%}
    case
        when {{ phone_hash }} is not null
            then {{ member_analytics.sha256_hex("concat(" ~ secret_column ~ ", '|phone|', " ~ phone_hash ~ ")") }}
        else {{ member_analytics.sha256_hex(
            "concat(" ~ secret_column ~ ", '|member|', " ~ shop_id ~ ", '|', " ~ member_id ~ ")") }}
    end
{%- endmacro %}
