{#- A setting given as a var or, when the var is not set, by an environment variable read
    while the build executes, never while dbt parses: its value is not part of dbt's
    saved parse, so a new value does not make dbt parse the project again
    (docs/decisions/0140). A var set to '' stays ''. -#}
{% macro var_or_env(name, env_name) %}
    {% set value = var(name, none) %}
    {% if value is none %}
        {% set value = env_var(env_name, '') if execute else '' %}
    {% endif %}
    {{ return(value) }}
{% endmacro %}


{#- The raw folder: var raw_data_path, else env MEMBER_ANALYTICS_RAW_DATA_PATH (var_or_env),
    validated; '' when neither is set. -#}
{% macro raw_data_path() %}
    {{ return(member_analytics.validated_path(
        member_analytics.var_or_env('raw_data_path', 'MEMBER_ANALYTICS_RAW_DATA_PATH'), 'raw_data_path')) }}
{% endmacro %}


{#- Vars and arguments that end up in SQL are validated here (docs/decisions/0004); described in _contract__macros.yml. -#}

{% macro validated_path(value, name) %}
    {% if value is none or value == '' %}
        {{ return('') }}
    {% endif %}
    {% set text = value | string %}
    {% if not text.startswith('/') %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var '" ~ name ~ "' must be an absolute path, got '" ~ text
            ~ "'. Relative paths would depend on the current directory.") }}
    {% endif %}
    {% if modules.re.search("['\";`\\\\\n\r]|--|/\\*", text) %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var '" ~ name ~ "' contains a character that is not allowed in a path"
            ~ " (quote, semicolon, backslash, backtick, newline or SQL comment): " ~ text) }}
    {% endif %}
    {{ return(text.rstrip('/')) }}
{% endmacro %}


{% macro validated_identifier(value, name) %}
    {% if value is none or value == '' %}
        {{ return('') }}
    {% endif %}
    {% set text = value | string %}
    {% if not modules.re.match('^[A-Za-z_][A-Za-z0-9_]{0,127}$', text) %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var '" ~ name ~ "' must be a plain identifier (letters, digits, _), got '"
            ~ text ~ "'") }}
    {% endif %}
    {{ return(text) }}
{% endmacro %}


{% macro validated_date(value, name) %}
    {% if value is none or value == '' %}
        {{ return('') }}
    {% endif %}
    {% set text = value | string %}
    {% if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var '" ~ name ~ "' must be a date written YYYY-MM-DD, got '" ~ text ~ "'") }}
    {% endif %}
    {#- Checked before strptime, whose own error ("day is out of range for month") names no var. -#}
    {% set year, month, day = text[0:4] | int, text[5:7] | int, text[8:10] | int %}
    {% set days_in_month = 0 %}
    {% if 1 <= month <= 12 and year >= 1 %}
        {% set next_month = modules.datetime.date(year + (month // 12), month % 12 + 1, 1) if year < 9999 or month < 12 else none %}
        {% set days_in_month = (next_month - modules.datetime.timedelta(days=1)).day if next_month else 31 %}
    {% endif %}
    {% if not (1 <= day <= days_in_month) %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var '" ~ name ~ "' is not a calendar date: '" ~ text ~ "' (month " ~ month
            ~ (" has " ~ days_in_month ~ " days" if days_in_month else " does not exist") ~ ")") }}
    {% endif %}
    {{ return(text) }}
{% endmacro %}


{#- A threshold var that must be a number. -#}
{% macro validated_number(name) %}
    {% set value = var(name) %}
    {% if not modules.re.match('^-?[0-9]+(\\.[0-9]+)?$', value | string) %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var '" ~ name ~ "' must be a number, got '" ~ value ~ "'") }}
    {% endif %}
    {{ return(value) }}
{% endmacro %}


{#- A share in a var (the var's value or a value of its mapping): a number from 0 to 1. -#}
{% macro validated_share(name, value) %}
    {% if not modules.re.match('^[0-9]+(\\.[0-9]+)?$', value | string) or (value | float) > 1 %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var '" ~ name ~ "' must hold shares from 0 to 1, got '" ~ value ~ "'") }}
    {% endif %}
    {{ return(value) }}
{% endmacro %}


{#- A number of days in a var's mapping: a whole number. -#}
{% macro validated_days(name, value) %}
    {% if not modules.re.match('^[0-9]+$', value | string) %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var '" ~ name ~ "' must map channels to whole days, got '" ~ value ~ "'") }}
    {% endif %}
    {{ return(value) }}
{% endmacro %}


{#- The BI reader roles: a list of plain role names. -#}
{% macro validated_roles(roles) %}
    {% if roles is string %}
        {% set roles = [roles] if roles != '' else [] %}
    {% endif %}
    {% for role in roles %}
        {% if not modules.re.match('^[A-Za-z_][A-Za-z0-9_.@-]{0,127}$', role | string) %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: var 'member_analytics__bi_reader_roles' must list plain role names"
                ~ " (letters, digits, _ . @ -), got '" ~ role ~ "'") }}
        {% endif %}
    {% endfor %}
    {{ return(roles | list) }}
{% endmacro %}
