{#- on-run-start: check the raw tables against the contract and register them as landing views (docs/decisions/0004); described in _contract__macros.yml. -#}
{% macro register_raw_tables() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}

    {% set raw_path = member_analytics.validated_path(var('raw_data_path', ''), 'raw_data_path') %}
    {% do member_analytics.validated_roles(var('member_analytics__bi_reader_roles')) %}
    {% do member_analytics.validated_number('member_analytics__quality__max_rejected_share') %}
    {% set raw_schema = member_analytics.validated_identifier(var('raw_schema', ''), 'raw_schema') %}
    {% set landing = member_analytics.landing_schema() %}
    {% if raw_path and raw_schema %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: set either var 'raw_data_path' or var 'raw_schema', not both") }}
    {% endif %}
    {% if not raw_path and not raw_schema %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: no input. Set var 'raw_data_path' (a folder of <table>.csv / <table>.parquet"
            ~ " files, or env MEMBER_ANALYTICS_RAW_DATA_PATH) or var 'raw_schema' (an existing schema).") }}
    {% endif %}

    {% set contract = member_analytics.raw_contract() %}
    {% set found = {} %}
    {% if raw_path %}
        {% set file_names = member_analytics.list_raw_files(raw_path) %}
        {% for table_name in contract %}
            {% set formats = [] %}
            {% for file_format in ['csv', 'parquet'] %}
                {% if (table_name ~ '.' ~ file_format) in file_names %}
                    {% do formats.append(file_format) %}
                {% endif %}
            {% endfor %}
            {% if formats | length > 1 %}
                {{ exceptions.raise_compiler_error(
                    "member_analytics: contract error: both " ~ table_name ~ ".csv and " ~ table_name
                    ~ ".parquet are in " ~ raw_path ~ "; keep exactly one file per table") }}
            {% elif formats | length == 1 %}
                {% set location = raw_path ~ '/' ~ table_name ~ '.' ~ formats[0] %}
                {% do found.update({table_name: {
                    'label': location,
                    'format': formats[0],
                    'from': member_analytics.raw_file_relation(table_name, location, formats[0]),
                }}) %}
            {% endif %}
        {% endfor %}
    {% else %}
        {% for table_name in contract %}
            {% set relation = adapter.get_relation(database=target.database, schema=raw_schema, identifier=table_name) %}
            {% if relation is not none %}
                {% do found.update({table_name: {'label': raw_schema ~ '.' ~ table_name, 'format': 'table', 'from': relation}}) %}
            {% endif %}
        {% endfor %}
    {% endif %}

    {% if 'orders' not in found %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: contract error: the required table 'orders' is missing (looked for "
            ~ (raw_path ~ "/orders.csv or " ~ raw_path ~ "/orders.parquet" if raw_path else raw_schema ~ ".orders")
            ~ ")") }}
    {% endif %}

    {#- Read every present table once in full: unreadable files fail here. -#}
    {% set columns_by_table = {} %}
    {% for table_name, source in found.items() %}
        {% do log("member_analytics: reading " ~ source['label'], info=true) %}
        {% if source['format'] != 'table' %}
            {% do member_analytics.check_raw_file_readable(source['label'], source['format']) %}
        {% endif %}
        {% set actual = {} %}
        {% for column_name in member_analytics.raw_column_names(source['from']) %}
            {% do actual.update({column_name | lower | trim: column_name}) %}
        {% endfor %}
        {% set missing = [] %}
        {% for column_name in contract[table_name]['required'] %}
            {% if column_name not in actual %}
                {% do missing.append(column_name) %}
            {% endif %}
        {% endfor %}
        {% if missing %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: contract error: " ~ source['label'] ~ " lacks required column(s) "
                ~ missing | join(', ') ~ " (it has: " ~ actual.keys() | sort | join(', ') ~ ")") }}
        {% endif %}
        {% do columns_by_table.update({table_name: actual}) %}
    {% endfor %}

    {#- shop_id: in every present table or in none. -#}
    {% set with_shop = [] %}
    {% set without_shop = [] %}
    {% for table_name in found %}
        {% if 'shop_id' in columns_by_table[table_name] %}
            {% do with_shop.append(found[table_name]['label']) %}
        {% else %}
            {% do without_shop.append(found[table_name]['label']) %}
        {% endif %}
    {% endfor %}
    {% if with_shop and without_shop %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: contract error: column shop_id must be in every table or in none; it is in "
            ~ with_shop | join(', ') ~ " but not in " ~ without_shop | join(', ')) }}
    {% endif %}

    {% do run_query(member_analytics.create_schema_sql(landing)) %}
    {% set manifest_rows = [] %}
    {% for table_name in contract %}
        {% if table_name in found %}
            {% set view_sql = member_analytics.landing_view_sql(
                table_name, found[table_name]['from'], columns_by_table[table_name]) %}
            {% do manifest_rows.append("select '" ~ table_name ~ "' as table_name, '" ~ found[table_name]['format']
                ~ "' as source_format, '" ~ found[table_name]['label'] ~ "' as source_location, true as is_present") %}
        {% else %}
            {% do log("member_analytics: WARNING optional table '" ~ table_name ~ "' is absent: its marts will be empty", info=true) %}
            {% set view_sql = member_analytics.landing_view_sql(table_name, none, {}) %}
            {% do manifest_rows.append("select '" ~ table_name ~ "' as table_name, 'absent' as source_format, "
                ~ "cast(null as " ~ dbt.type_string() ~ ") as source_location, false as is_present") %}
        {% endif %}
        {% do run_query("create or replace view " ~ landing ~ "." ~ table_name ~ " as\n" ~ view_sql) %}
    {% endfor %}
    {% do run_query("create or replace view " ~ landing ~ ".raw_files as\n" ~ manifest_rows | join("\nunion all\n")) %}
    {{ return('') }}
{% endmacro %}


{% macro landing_schema() %}
    {{ return(member_analytics.validated_identifier(var('member_analytics__landing_schema'), 'member_analytics__landing_schema')) }}
{% endmacro %}


{#- The select behind one landing view: every contract column as a string. -#}
{% macro landing_view_sql(table_name, source, actual_columns) %}
    {% set string_type = dbt.type_string() %}
    {% set spec = member_analytics.raw_contract()[table_name] %}
    {% set expressions = [] %}
    {% if 'shop_id' in actual_columns %}
        {% do expressions.append("cast(" ~ adapter.quote(actual_columns['shop_id']) ~ " as " ~ string_type ~ ") as shop_id") %}
    {% elif source is not none %}
        {% do expressions.append("cast('default' as " ~ string_type ~ ") as shop_id") %}
    {% else %}
        {% do expressions.append("cast(null as " ~ string_type ~ ") as shop_id") %}
    {% endif %}
    {% for column_name in spec['required'] + spec['optional'] %}
        {% if column_name in actual_columns %}
            {% do expressions.append("cast(" ~ adapter.quote(actual_columns[column_name]) ~ " as " ~ string_type ~ ") as " ~ column_name) %}
        {% else %}
            {% do expressions.append("cast(null as " ~ string_type ~ ") as " ~ column_name) %}
        {% endif %}
    {% endfor %}
    {% if source is none %}
        {{ return("select\n    " ~ expressions | join(",\n    ") ~ "\nwhere 1 = 0") }}
    {% endif %}
    {{ return("select\n    " ~ expressions | join(",\n    ") ~ "\nfrom " ~ source) }}
{% endmacro %}


{% macro create_schema_sql(schema_name) %}
    {{ return(adapter.dispatch('create_schema_sql', 'member_analytics')(schema_name)) }}
{% endmacro %}

{% macro default__create_schema_sql(schema_name) %}
    {{ return("create schema if not exists " ~ schema_name) }}
{% endmacro %}


{#- File names (not paths) directly inside the raw folder. -#}
{% macro list_raw_files(raw_path) %}
    {{ return(adapter.dispatch('list_raw_files', 'member_analytics')(raw_path)) }}
{% endmacro %}

{% macro duckdb__list_raw_files(raw_path) %}
    {% set result = run_query("select file from glob('" ~ raw_path ~ "/*')") %}
    {% set names = [] %}
    {% for file_path in result.columns[0].values() %}
        {% do names.append(file_path.split('/')[-1]) %}
    {% endfor %}
    {{ return(names) }}
{% endmacro %}


{#- A relation (or table function call) reading one raw file, every column as text. -#}
{% macro raw_file_relation(table_name, location, file_format) %}
    {{ return(adapter.dispatch('raw_file_relation', 'member_analytics')(table_name, location, file_format)) }}
{% endmacro %}

{% macro duckdb__raw_file_relation(table_name, location, file_format) %}
    {% if file_format == 'csv' %}
        {{ return("read_csv('" ~ location ~ "', header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')") }}
    {% endif %}
    {{ return("read_parquet('" ~ location ~ "')") }}
{% endmacro %}


{#- Raise a contract error naming the file when it cannot be read in full. -#}
{% macro check_raw_file_readable(location, file_format) %}
    {{ return(adapter.dispatch('check_raw_file_readable', 'member_analytics')(location, file_format)) }}
{% endmacro %}

{% macro duckdb__check_raw_file_readable(location, file_format) %}
    {% if file_format == 'csv' %}
        {#- read_text names the file when it is not valid UTF-8; read_csv would not.
            Files over 1 GB skip this pre-check (read_csv still fails on them). -#}
        {% set size = run_query("select size from read_blob('" ~ location ~ "')").columns[0].values()[0] %}
        {% if size < 1073741824 %}
            {% do run_query("select sum(length(content)) from read_text('" ~ location ~ "')") %}
        {% endif %}
    {% endif %}
    {% do run_query("select count(*) from " ~ member_analytics.duckdb__raw_file_relation(none, location, file_format)) %}
{% endmacro %}


{% macro raw_column_names(source) %}
    {{ return(adapter.dispatch('raw_column_names', 'member_analytics')(source)) }}
{% endmacro %}

{% macro duckdb__raw_column_names(source) %}
    {% set result = run_query("select column_name from (describe select * from " ~ source ~ ")") %}
    {{ return(result.columns[0].values() | list) }}
{% endmacro %}
