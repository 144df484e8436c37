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


{#- Relative paths of the files inside the raw folder's subfolders, at any depth
    (binaryFile with recursiveFileLookup; contents are not read). -#}
{% macro spark__list_raw_load_files(raw_path) %}
    {% do run_query("create or replace temporary view member_analytics_raw_listing using binaryFile"
        ~ " options (path '" ~ raw_path ~ "', recursiveFileLookup 'true')") %}
    {% set result = run_query("select path from member_analytics_raw_listing") %}
    {% set marker = raw_path.rstrip('/') ~ '/' %}
    {% set paths = [] %}
    {% for file_path in result.columns[0].values() %}
        {#- path is a URI (file:/a/b/c.csv): keep what follows the raw folder, if in a subfolder. -#}
        {% set relative = file_path.split(marker, 1)[-1] if marker in file_path else '' %}
        {% if '/' in relative %}
            {% do paths.append(relative) %}
        {% endif %}
    {% endfor %}
    {{ return(paths) }}
{% endmacro %}


{#- Register a folder of loads as one external table of string columns: every file of the
    folder at any depth with the loads' extension (recursiveFileLookup, pathGlobFilter;
    names starting with '_' or '.' are skipped, as in raw_table_loads). -#}
{% macro spark__raw_folder_relation(table_name, folder, locations, file_format) %}
    {% set schema_name = member_analytics.spark__raw_files_schema() %}
    {% set relation = schema_name ~ '.' ~ member_analytics.validated_identifier(table_name, 'table_name') %}
    {% do run_query("create schema if not exists " ~ schema_name) %}
    {% do run_query("drop table if exists " ~ relation) %}
    {% if file_format == 'csv' %}
        {% do run_query(
            "create table " ~ relation ~ " using csv options ("
            ~ "path '" ~ folder ~ "', recursiveFileLookup 'true', pathGlobFilter '*.csv', "
            ~ member_analytics.spark__csv_read_options() ~ ")") %}
    {% else %}
        {% do member_analytics.spark__check_parquet_magic_of_folder(folder) %}
        {% do run_query("create table " ~ relation ~ " using parquet options (path '" ~ folder
            ~ "', recursiveFileLookup 'true', pathGlobFilter '*.parquet', mergeSchema 'true')") %}
    {% endif %}
    {{ return(relation) }}
{% endmacro %}


{#- Every Parquet load of a folder starts and ends with the 4 bytes PAR1 (one binaryFile
    scan; files of 256 MB or more are left to the Parquet reader, as for one file). -#}
{% macro spark__check_parquet_magic_of_folder(folder) %}
    {% do run_query("create or replace temporary view member_analytics_raw_blobs using binaryFile options (path '"
        ~ folder ~ "', recursiveFileLookup 'true', pathGlobFilter '*.parquet')") %}
    {% set result = run_query(
        "select path from member_analytics_raw_blobs where length < 268435456 and not (length >= 12"
        ~ " and substr(content, 1, 4) = cast('PAR1' as binary) and substr(content, -4, 4) = cast('PAR1' as binary))"
        ~ " order by path limit 1") %}
    {% if result.rows | length > 0 %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: contract error: " ~ result.rows[0][0] ~ " cannot be read: it is not a Parquet file") }}
    {% endif %}
{% endmacro %}


{#- check_raw_loads on Spark: a folder's loads in one pass each for the row counts and, for
    CSV, the UTF-8 and blank-line checks (input_file_name() names the load); a snapshot
    file through spark__check_raw_file. -#}
{% macro spark__check_raw_loads(loads, file_format, source) %}
    {% if loads | length == 1 and '/' not in loads[0]['path'] %}
        {{ return(member_analytics.default__check_raw_loads(loads, file_format, source)) }}
    {% endif %}
    {% set first = loads[0] %}
    {% set folder = first['location'][:first['location'] | length - first['path'] | length] ~ first['path'].split('/')[0] %}
    {% if file_format == 'csv' %}
        {% do run_query("create or replace temporary view member_analytics_raw_lines using text options (path '"
            ~ folder ~ "', recursiveFileLookup 'true', pathGlobFilter '*.csv')") %}
        {% set result = run_query(
            "select input_file_name() as load_file,"
            ~ " sum(case when not is_valid_utf8(value) then 1 else 0 end) as bad_lines,"
            ~ " first(case when not is_valid_utf8(value) then make_valid_utf8(value) end, true) as first_bad_line,"
            ~ " sum(case when length(value) > 0 and trim(translate(value, char(9), '')) = '' then 1 else 0 end) as blank_lines"
            ~ " from member_analytics_raw_lines group by 1"
            ~ " having sum(case when not is_valid_utf8(value) then 1 else 0 end) > 0"
            ~ " or sum(case when length(value) > 0 and trim(translate(value, char(9), '')) = '' then 1 else 0 end) > 0"
            ~ " order by 1 limit 1") %}
        {% if result.rows | length > 0 %}
            {% set row = result.rows[0] %}
            {% if row[1] %}
                {{ exceptions.raise_compiler_error(
                    "member_analytics: contract error: " ~ row[0] ~ " is not valid UTF-8 (" ~ row[1]
                    ~ " line(s) with invalid bytes; the first reads: " ~ (row[2] | string)[:200] ~ "). Re-export it as UTF-8.") }}
            {% endif %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: contract error: " ~ row[0] ~ " has " ~ row[3]
                ~ " blank line(s) (only spaces or tabs). Remove blank lines.") }}
        {% endif %}
    {% endif %}
    {#- input_file_name() is a URI (file:/raw/orders/a.csv): matched on what follows the folder -#}
    {% set by_path = {} %}
    {% for row in run_query("select input_file_name(), count(*) from " ~ source ~ " group by 1").rows %}
        {% if folder ~ '/' not in row[0] %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: Spark read " ~ row[0] ~ " for the loads under " ~ folder ~ " but its path does"
                ~ " not contain the folder's (a character Spark writes encoded in a path?); rename the load") }}
        {% endif %}
        {% do by_path.update({first['path'].split('/')[0] ~ '/' ~ row[0].split(folder ~ '/', 1)[-1]: row[1] | int}) %}
    {% endfor %}
    {% set counts = [] %}
    {% for load in loads %}
        {% do counts.append(by_path.pop(load['path'], 0)) %}
    {% endfor %}
    {% if by_path %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: Spark read rows from " ~ by_path.keys() | list | join(', ')
            ~ ", which is not among the loads listed under " ~ folder ~ "; rename the load") }}
    {% endif %}
    {{ return(counts) }}
{% endmacro %}


{#- One load file as a temporary view (its own row count, outside the folder's table). -#}
{% macro spark__raw_load_view(location, file_format) %}
    {% if file_format == 'csv' %}
        {% do run_query(
            "create or replace temporary view member_analytics_raw_load using csv options ("
            ~ "path '" ~ location ~ "', " ~ member_analytics.spark__csv_read_options() ~ ")") %}
    {% else %}
        {% do run_query("create or replace temporary view member_analytics_raw_load using parquet options (path '"
            ~ location ~ "')") %}
    {% endif %}
    {{ return('member_analytics_raw_load') }}
{% endmacro %}


{#- The options every raw CSV is read with: a header row, no schema inference (every
    column a string, leading zeros kept), UTF-8, '"' as quote and escape, quoted newlines,
    and a malformed line an error. -#}
{% macro spark__csv_read_options() %}
    {{ return("header 'true', inferSchema 'false', encoding 'UTF-8', sep ',', quote '\"', escape '\"',"
        ~ " multiLine 'true', mode 'FAILFAST'") }}
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
            ~ "path '" ~ location ~ "', " ~ member_analytics.spark__csv_read_options() ~ ")") %}
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


{#- Check a registered file's contents (only when staging is built) and return its row
    count: a non-UTF-8 CSV is a contract error naming the file; a Parquet count reads footers. -#}
{% macro spark__check_raw_file(location, file_format, source) %}
    {% if source is none %}
        {% set source = member_analytics.spark__raw_load_view(location, file_format) %}
    {% endif %}
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
        {% set blank = run_query(
            "select count(*) from text.`" ~ location ~ "` where length(value) > 0 and trim(translate(value, char(9), '')) = ''") %}
        {% if blank.columns[0].values()[0] %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: contract error: " ~ location ~ " has " ~ blank.columns[0].values()[0]
                ~ " blank line(s) (only spaces or tabs). Remove blank lines.") }}
        {% endif %}
    {% endif %}
    {{ return(run_query("select count(*) from " ~ source).columns[0].values()[0] | int) }}
{% endmacro %}


{#- The header line of a CSV as written, split on ','. -#}
{% macro spark__csv_header_names(location) %}
    {% set result = run_query("select value from text.`" ~ location ~ "` limit 1") %}
    {% if result.rows | length == 0 %}
        {{ return([]) }}
    {% endif %}
    {{ return((result.rows[0][0] or '').split(',')) }}
{% endmacro %}


{#- Columns of a registered table as [name, type] pairs (describe: metadata only). -#}
{% macro spark__raw_columns(source) %}
    {% set columns = [] %}
    {% for row in run_query("describe " ~ source).rows %}
        {% if row[0] is none or row[0] == '' or row[0].startswith('#') %}
            {{ return(columns) }}
        {% endif %}
        {% do columns.append([row[0], row[1]]) %}
    {% endfor %}
    {{ return(columns) }}
{% endmacro %}


{#- Spark type names as classes (raw_type_class). Spark's `timestamp` is an instant
    (Parquet isAdjustedToUTC), `timestamp_ntz` a wall-clock time. -#}
{% macro spark__raw_type_class(type_name) %}
    {% set name = type_name | lower | trim %}
    {% if name == 'string' or name.startswith('varchar') or name.startswith('char') %}
        {{ return('string') }}
    {% elif name in ['tinyint', 'smallint', 'int', 'integer', 'bigint', 'byte', 'short', 'long'] %}
        {{ return('integer') }}
    {% elif name.startswith('decimal') %}
        {{ return('integer' if modules.re.match('^decimal[(] *[0-9]+ *, *0 *[)]$', name) else 'decimal') }}
    {% elif name in ['float', 'double', 'real'] %}
        {{ return('float') }}
    {% elif name in ['timestamp', 'timestamp_ltz'] %}
        {{ return('timestamp_tz') }}
    {% elif name == 'timestamp_ntz' %}
        {{ return('timestamp') }}
    {% elif name == 'date' %}
        {{ return('date') }}
    {% elif name == 'boolean' %}
        {{ return('boolean') }}
    {% elif name == 'void' %}
        {{ return('null') }}
    {% endif %}
    {{ return('other') }}
{% endmacro %}


{#- raw_text_expression on Spark: the same rules as duckdb__raw_text_expression. -#}
{% macro spark__raw_text_expression(column_sql, type_class, kind) %}
    {% set c = column_sql %}
    {% if type_class == 'boolean' %}
        {{ return("case when " ~ c ~ " then 'true' when not " ~ c ~ " then 'false' end") }}
    {% elif type_class == 'date' %}
        {{ return("date_format(" ~ c ~ ", 'yyyy-MM-dd')") }}
    {% elif type_class in ('timestamp', 'timestamp_tz') %}
        {% set local = "convert_timezone(current_timezone(), '" ~ member_analytics.shop_time_zone() ~ "', cast(" ~ c ~ " as timestamp_ntz))"
            if type_class == 'timestamp_tz' else "cast(" ~ c ~ " as timestamp_ntz)" %}
        {% set text = "regexp_replace(date_format(" ~ local ~ ", 'yyyy-MM-dd HH:mm:ss.SSSSSS'), '[.]000000$', '')" %}
        {% if kind == 'date' %}
            {{ return("regexp_replace(" ~ text ~ ", ' 00:00:00$', '')") }}
        {% endif %}
        {{ return(text) }}
    {% elif type_class in ('float', 'decimal') and kind == 'integer' %}
        {{ return("case when not isnan(cast(" ~ c ~ " as double)) and abs(" ~ c ~ ") < 1e18 and " ~ c ~ " = floor(" ~ c ~ ")"
            ~ " then cast(cast(" ~ c ~ " as bigint) as string) else cast(" ~ c ~ " as string) end") }}
    {% elif type_class in ('float', 'decimal') and kind == 'amount' %}
        {{ return("coalesce(cast(cast(round(try_cast(cast(" ~ c ~ " as string) as decimal(38, 9)), 2) as decimal(38, 2)) as string),"
            ~ " cast(" ~ c ~ " as string))") }}
    {% endif %}
    {{ return("cast(" ~ c ~ " as string)") }}
{% endmacro %}
