{#- Spark implementations of the raw-file steps of register_raw_tables (docs/decisions/0008); described in _spark__macros.yml. -#}


{#- The schema holding one external table per registered raw file. -#}
{% macro spark__raw_files_schema() %}
    {{ return(member_analytics.landing_schema() ~ '_files') }}
{% endmacro %}


{#- File names directly inside the raw folder (binaryFile). -#}
{% macro spark__list_raw_files(raw_path) %}
    {% set result = run_query("select path from binaryFile.`" ~ raw_path ~ "`") %}
    {% set names = [] %}
    {% for file_path in result.columns[0].values() %}
        {#- path is a URI (file:/a/b.csv, dbfs:/a/b.csv): keep direct children only. -#}
        {% set parent = file_path.rsplit('/', 1)[0] %}
        {% if parent.endswith(raw_path) %}
            {% do names.append(file_path.split('/')[-1]) %}
        {% endif %}
    {% endfor %}
    {{ return(names) }}
{% endmacro %}


{#- Register one raw file as an external table of string columns. -#}
{% macro spark__raw_file_relation(table_name, location, file_format) %}
    {% set schema_name = member_analytics.spark__raw_files_schema() %}
    {% set relation = schema_name ~ '.' ~ member_analytics.validated_identifier(table_name, 'table_name') %}
    {% if file_format == 'parquet' %}
        {% do member_analytics.spark__check_parquet_magic(location) %}
    {% endif %}
    {% do run_query("create schema if not exists " ~ schema_name) %}
    {% do run_query("drop table if exists " ~ relation) %}
    {% if file_format == 'csv' %}
        {% do run_query(
            "create table " ~ relation ~ " using csv options ("
            ~ "path '" ~ location ~ "', header 'true', inferSchema 'false', encoding 'UTF-8', sep ',', "
            ~ "quote '\"', escape '\"', multiLine 'true', mode 'FAILFAST')") %}
    {% elif file_format == 'parquet' %}
        {% do run_query("create table " ~ relation ~ " using parquet options (path '" ~ location ~ "')") %}
    {% else %}
        {{ exceptions.raise_compiler_error("member_analytics: unknown raw file format '" ~ file_format ~ "'") }}
    {% endif %}
    {{ return(relation) }}
{% endmacro %}


{#- A Parquet file starts and ends with the 4 bytes PAR1. -#}
{% macro spark__check_parquet_magic(location) %}
    {% set size = run_query("select length from binaryFile.`" ~ location ~ "`").columns[0].values() %}
    {% if size and size[0] < 268435456 %}
        {% set result = run_query(
            "select length(content) >= 12 and substr(content, 1, 4) = cast('PAR1' as binary)"
            ~ " and substr(content, -4, 4) = cast('PAR1' as binary) from binaryFile.`" ~ location ~ "`") %}
        {% if not result.columns[0].values()[0] %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: contract error: " ~ location ~ " cannot be read: it is not a Parquet file") }}
        {% endif %}
    {% endif %}
{% endmacro %}


{#- Read the registered file in full; raise a contract error naming the file. -#}
{% macro spark__check_raw_file_readable(location, file_format) %}
    {% set relation = member_analytics.spark__raw_files_schema() ~ '.' ~ location.split('/')[-1].rsplit('.', 1)[0] %}
    {% if file_format == 'csv' %}
        {% set result = run_query(
            "select count(*) as bad_lines, first(make_valid_utf8(value)) as first_bad_line"
            ~ " from text.`" ~ location ~ "` where not is_valid_utf8(value)") %}
        {% set bad_lines = result.columns[0].values()[0] %}
        {% if bad_lines %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: contract error: " ~ location ~ " is not valid UTF-8 (" ~ bad_lines
                ~ " line(s) with invalid bytes; the first reads: " ~ (result.columns[1].values()[0] | string)[:200]
                ~ "). Re-export it as UTF-8.") }}
        {% endif %}
    {% endif %}
    {% if member_analytics.spark__raw_column_names(relation) %}
        {% do run_query("select count(*), max(xxhash64(to_json(struct(*)))) from " ~ relation) %}
    {% else %}
        {% do run_query("select count(*) from " ~ relation) %}
    {% endif %}
{% endmacro %}


{#- Column names of a relation, as the engine reports them. -#}
{% macro spark__raw_column_names(source) %}
    {{ return(run_query("select * from " ~ source ~ " limit 0").column_names | list) }}
{% endmacro %}
