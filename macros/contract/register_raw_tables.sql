{#- on-run-start: check the raw tables against the contract and register them as landing views (docs/decisions/0004); described in _contract__macros.yml. -#}
{% macro register_raw_tables() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}

    {% set raw_path = member_analytics.raw_data_path() %}
    {% do member_analytics.validated_roles(var('member_analytics__bi_reader_roles')) %}
    {% do member_analytics.validated_number('member_analytics__quality__max_rejected_share') %}
    {% set raw_schema = member_analytics.validated_identifier(var('raw_schema', ''), 'raw_schema') %}
    {% do member_analytics.as_of_date_value() %}
    {% do member_analytics.validated_date(var('member_analytics__validation__earliest_valid_date'), 'member_analytics__validation__earliest_valid_date') %}
    {% do member_analytics.validated_date(var('member_analytics__validation__latest_valid_date', ''), 'member_analytics__validation__latest_valid_date') %}
    {% do member_analytics.shop_time_zone() %}
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
        {#- A table is one file <table>.csv | <table>.parquet (a snapshot) or a folder <table>/
            of load files, ordered by their path inside it (docs/decisions/0117). -#}
        {% set file_names = member_analytics.list_raw_files(raw_path) %}
        {% set load_files = member_analytics.list_raw_load_files(raw_path) %}
        {% for table_name in contract %}
            {% set formats = [] %}
            {% for file_format in ['csv', 'parquet'] %}
                {% if (table_name ~ '.' ~ file_format) in file_names %}
                    {% do formats.append(file_format) %}
                {% endif %}
            {% endfor %}
            {% set loads = member_analytics.raw_table_loads(raw_path, table_name, load_files) %}
            {% if formats | length > 1 %}
                {{ exceptions.raise_compiler_error(
                    "member_analytics: contract error: both " ~ table_name ~ ".csv and " ~ table_name
                    ~ ".parquet are in " ~ raw_path ~ "; keep exactly one file per table") }}
            {% elif formats and loads %}
                {{ exceptions.raise_compiler_error(
                    "member_analytics: contract error: both " ~ raw_path ~ "/" ~ table_name ~ "." ~ formats[0]
                    ~ " (a snapshot) and the folder " ~ raw_path ~ "/" ~ table_name ~ "/ (" ~ loads | length
                    ~ " load file(s)) are there; a table is one file or one folder of loads, never both") }}
            {% elif formats | length == 1 %}
                {% set location = raw_path ~ '/' ~ table_name ~ '.' ~ formats[0] %}
                {% do found.update({table_name: {
                    'label': location,
                    'format': formats[0],
                    'from': member_analytics.raw_file_relation(table_name, location, formats[0]),
                    'loads': [{'path': table_name ~ '.' ~ formats[0], 'location': location}],
                }}) %}
            {% elif loads %}
                {% set folder = raw_path ~ '/' ~ table_name %}
                {% do found.update({table_name: {
                    'label': folder ~ '/',
                    'format': loads[0]['format'],
                    'from': member_analytics.raw_folder_relation(
                        table_name, folder, loads | map(attribute='location') | list, loads[0]['format']),
                    'loads': loads,
                }}) %}
            {% endif %}
        {% endfor %}
    {% else %}
        {% for table_name in contract %}
            {% set relation = adapter.get_relation(database=target.database, schema=raw_schema, identifier=table_name) %}
            {% if relation is not none %}
                {% do found.update({table_name: {'label': raw_schema ~ '.' ~ table_name, 'format': 'table', 'from': relation, 'loads': []}}) %}
            {% endif %}
        {% endfor %}
    {% endif %}

    {% if 'orders' not in found %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: contract error: the required table 'orders' is missing (looked for "
            ~ (raw_path ~ "/orders.csv or " ~ raw_path ~ "/orders.parquet" if raw_path else raw_schema ~ ".orders")
            ~ ")") }}
    {% endif %}

    {#- From metadata only (the schema; a CSV's header): columns and their types. The
        contents are checked once, and only when this invocation builds a staging model
        (docs/decisions/0110): row counts, UTF-8, malformed lines, empty tables. -#}
    {% set in_full = member_analytics.selection_builds_staging() %}
    {% if not in_full %}
        {% do log("member_analytics: no staging model selected: raw tables registered from their metadata only", info=true) %}
    {% endif %}
    {% set columns_by_table = {} %}
    {% set types_by_table = {} %}
    {% set rows_by_table = {} %}
    {% set load_rows = [] %}
    {#- A load checked by an earlier build and unchanged since (same path, size and
        modification time in audit.rpt_raw_loads) is not read again: its row count is the
        log's (docs/decisions/0118). -#}
    {% set versions = member_analytics.raw_load_versions(raw_path, found) if in_full and raw_path else {} %}
    {% set unchanged = member_analytics.unchanged_raw_loads(versions) %}
    {% for table_name, source in found.items() %}
        {% set unread = [] %}
        {% for load in source['loads'] if load['path'] not in unchanged %}
            {% do unread.append(load) %}
        {% endfor %}
        {% if source['format'] == 'csv' %}
            {#- Every unread load's header, and the first load's (from its first line only):
                one header per table. -#}
            {% set reference = source['loads'][:1] if not in_full or (unread[:1] != source['loads'][:1]) else [] %}
            {% set headed = reference + (unread if in_full else []) %}
            {% set first = namespace(names=none, location=none) %}
            {% for names in member_analytics.raw_load_headers(reference | map(attribute='location') | list, false)
                + member_analytics.raw_load_headers(unread | map(attribute='location') | list, true if in_full else false) %}
                {% set location = headed[loop.index0]['location'] %}
                {% set header = member_analytics.check_csv_header(location, names) %}
                {% if header and first.names is none %}
                    {% set first.names = header %}
                    {% set first.location = location %}
                {% elif header and header != first.names %}
                    {{ exceptions.raise_compiler_error(
                        "member_analytics: contract error: " ~ location ~ " has the header " ~ header | join(',')
                        ~ " but the table's first load " ~ first.location ~ " has " ~ first.names | join(',')
                        ~ "; every CSV load of a table has the same header (the same columns in the same order)") }}
                {% endif %}
            {% endfor %}
        {% endif %}
        {% set counts = [] %}
        {% if in_full and source['format'] != 'table' %}
            {#- Every unread load's contents: a contract error names the load (and line). -#}
            {% set skipped = source['loads'] | length - unread | length %}
            {% if not source['label'].endswith('/') %}
                {% do log("member_analytics: " ~ ("reading " ~ source['label'] if unread else source['label']
                    ~ " is unchanged since the last build: not read again"), info=true) %}
            {% else %}
                {% do log("member_analytics: reading " ~ source['label'] ~ " (" ~ unread | length ~ " of "
                    ~ source['loads'] | length ~ " loads" ~ ("; " ~ skipped ~ " unchanged since the last build are not"
                    ~ " read again" if skipped else "") ~ ")", info=true) %}
            {% endif %}
            {% set read_counts = {} %}
            {% if unread %}
                {% for count in member_analytics.check_raw_loads(unread, source['format'], source['from']) %}
                    {% do read_counts.update({unread[loop.index0]['path']: count}) %}
                {% endfor %}
            {% endif %}
            {% for load in source['loads'] %}
                {% do counts.append(unchanged[load['path']] if load['path'] in unchanged else read_counts[load['path']]) %}
            {% endfor %}
            {% do rows_by_table.update({table_name: counts | sum}) %}
        {% elif in_full %}
            {% do rows_by_table.update({table_name: member_analytics.check_raw_file(source['label'], source['format'], source['from'])}) %}
        {% endif %}
        {% for load in source['loads'] %}
            {% do load_rows.append({'table_name': table_name, 'path': load['path'], 'number': loop.index,
                'format': source['format'], 'rows': counts[loop.index0] if counts else none}) %}
        {% endfor %}
        {% set actual = {} %}
        {% set actual_types = {} %}
        {% for column in member_analytics.raw_columns(source['from']) %}
            {% do actual.update({column[0] | lower | trim: column[0]}) %}
            {% do actual_types.update({column[0] | lower | trim: column[1]}) %}
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
        {% do member_analytics.check_raw_column_types(source['label'], actual_types, table_name) %}
        {% do columns_by_table.update({table_name: actual}) %}
        {% do types_by_table.update({table_name: actual_types}) %}
    {% endfor %}

    {#- Empty tables (a header and no rows): orders is a contract error, the others a warning. -#}
    {% for table_name, row_count in rows_by_table.items() %}
        {% if row_count == 0 and table_name == 'orders' %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: contract error: " ~ found[table_name]['label'] ~ " has no rows: the orders table"
                ~ " must not be empty (leave an optional table out, or give it rows)") }}
        {% elif row_count == 0 %}
            {% do log("member_analytics: WARNING " ~ found[table_name]['label'] ~ " has a header and no rows: its marts will be empty", info=true) %}
        {% endif %}
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
            {% set located = member_analytics.located_raw_relation(found[table_name]) %}
            {% set view_sql = member_analytics.landing_view_sql(
                table_name, located['from'], columns_by_table[table_name], types_by_table[table_name],
                located['load_location']) %}
            {% do manifest_rows.append("select '" ~ table_name ~ "' as table_name, '" ~ found[table_name]['format']
                ~ "' as source_format, '" ~ found[table_name]['label'] ~ "' as source_location, true as is_present") %}
        {% else %}
            {% do log("member_analytics: WARNING optional table '" ~ table_name ~ "' is absent: its marts will be empty", info=true) %}
            {% set view_sql = member_analytics.landing_view_sql(table_name, none, {}, {}) %}
            {% do manifest_rows.append("select '" ~ table_name ~ "' as table_name, 'absent' as source_format, "
                ~ "cast(null as " ~ dbt.type_string() ~ ") as source_location, false as is_present") %}
        {% endif %}
        {% do run_query("create or replace view " ~ landing ~ "." ~ table_name ~ " as\n" ~ view_sql) %}
    {% endfor %}
    {% do run_query("create or replace view " ~ landing ~ ".raw_files as\n" ~ manifest_rows | join("\nunion all\n")) %}
    {% do member_analytics.write_raw_loads(landing ~ '.raw_loads', raw_path, found, load_rows, versions) %}
    {% if in_full and 'members' in found %}
        {% do member_analytics.check_member_key_forms(found, types_by_table) %}
    {% endif %}
    {#- Looking up a raw_schema table through dbt's relation cache opens a transaction that
        dbt rolls back after the hook, taking the landing views with it: keep them. -#}
    {% do adapter.commit() %}
    {{ return('') }}
{% endmacro %}


{% macro landing_schema() %}
    {{ return(member_analytics.validated_identifier(var('member_analytics__landing_schema'), 'member_analytics__landing_schema')) }}
{% endmacro %}


{#- The select behind one landing view: every contract column as text (typed columns
    converted by raw_text_expression, docs/raw_data_contract.md "Typed columns"). -#}
{% macro landing_view_sql(table_name, source, actual_columns, actual_types, load_location='null') %}
    {% set string_type = dbt.type_string() %}
    {% set kinds = member_analytics.raw_column_kinds() %}
    {% set expressions = [] %}
    {% for column_name in member_analytics.raw_contract_columns(table_name) %}
        {% if column_name in actual_columns %}
            {% set type_class = member_analytics.raw_type_class(actual_types.get(column_name, 'string')) %}
            {% do expressions.append(member_analytics.raw_text_expression(
                adapter.quote(actual_columns[column_name]), type_class, kinds[column_name]) ~ " as " ~ column_name) %}
        {% elif column_name == 'shop_id' and source is not none %}
            {% do expressions.append("cast('default' as " ~ string_type ~ ") as shop_id") %}
        {% else %}
            {% do expressions.append("cast(null as " ~ string_type ~ ") as " ~ column_name) %}
        {% endif %}
    {% endfor %}
    {#- The load a row comes from (docs/decisions/0118): staging reads only some loads. -#}
    {% do expressions.append("cast(" ~ load_location ~ " as " ~ string_type ~ ") as raw_load_location") %}
    {% if source is none %}
        {{ return("select\n    " ~ expressions | join(",\n    ") ~ "\nwhere 1 = 0") }}
    {% endif %}
    {{ return("select\n    " ~ expressions | join(",\n    ") ~ "\nfrom " ~ source) }}
{% endmacro %}


{#- True when this invocation builds (or runs) a staging model or audit.rpt_raw_loads, or
    when dbt does not say what is selected: then the raw files are checked in full
    (docs/decisions/0110) and every load's rows counted (0117). -#}
{% macro selection_builds_staging() %}
    {% if selected_resources is not defined or selected_resources is none %}
        {{ return(true) }}
    {% endif %}
    {% for unique_id in selected_resources %}
        {% set node = graph.nodes.get(unique_id) %}
        {% if node and node.resource_type == 'model' and node.package_name == project_name
              and (node.fqn | length > 1 and node.fqn[1] == 'staging' or node.name == 'rpt_raw_loads') %}
            {{ return(true) }}
        {% endif %}
    {% endfor %}
    {{ return(false) }}
{% endmacro %}


{#- The shop's time zone (var member_analytics__validation__shop_time_zone), validated. -#}
{% macro shop_time_zone() %}
    {% set value = var('member_analytics__validation__shop_time_zone', 'Asia/Shanghai') | string %}
    {% if not modules.re.match('^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$', value) %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var 'member_analytics__validation__shop_time_zone' must be a time zone name"
            ~ " such as Asia/Shanghai, got '" ~ value ~ "'") }}
    {% endif %}
    {{ return(value) }}
{% endmacro %}


{#- A contract error naming file, column and type for a typed column the contract does not accept. -#}
{% macro check_raw_column_types(label, actual_types, table_name) %}
    {% set kinds = member_analytics.raw_column_kinds() %}
    {% set accepts = member_analytics.raw_kind_accepts() %}
    {% for column_name in member_analytics.raw_contract_columns(table_name) %}
        {% if column_name in actual_types %}
            {% set type_name = actual_types[column_name] %}
            {% set type_class = member_analytics.raw_type_class(type_name) %}
            {% set kind = kinds[column_name] %}
            {% if type_class != 'null' and type_class not in accepts[kind] %}
                {% if kind == 'key' and type_class in ('float', 'decimal') %}
                    {{ exceptions.raise_compiler_error(
                        "member_analytics: contract error: " ~ label ~ " column " ~ column_name ~ " has type "
                        ~ type_name ~ " (a floating-point or decimal number): a key column must be text or an"
                        ~ " integer, since a float loses digits beyond 2^53 (docs/raw_data_contract.md)") }}
                {% endif %}
                {{ exceptions.raise_compiler_error(
                    "member_analytics: contract error: " ~ label ~ " column " ~ column_name ~ " has type "
                    ~ type_name ~ ", which the contract does not accept for a " ~ kind ~ " column (accepted: "
                    ~ accepts[kind] | join(', ') ~ "; docs/raw_data_contract.md)") }}
            {% endif %}
        {% endif %}
    {% endfor %}
{% endmacro %}


{#- Members keys typed differently in orders and members (an integer on one side): warn with
    the buyers that match no member, and how many would match without leading zeros. -#}
{% macro check_member_key_forms(found, types_by_table) %}
    {% set orders_class = member_analytics.raw_type_class(types_by_table['orders']['member_id']) %}
    {% set members_class = member_analytics.raw_type_class(types_by_table['members']['member_id']) %}
    {% if orders_class == members_class %}
        {{ return('') }}
    {% endif %}
    {% set landing = member_analytics.landing_schema() %}
    {% set result = run_query(
        "with buyers as (select distinct shop_id, trim(member_id) as member_id from " ~ landing ~ ".orders"
        ~ " where trim(member_id) <> ''),"
        ~ " members as (select distinct shop_id, trim(member_id) as member_id from " ~ landing ~ ".members),"
        ~ " compared as (select buyers.member_id,"
        ~ " exists (select 1 from members where members.shop_id = buyers.shop_id and members.member_id = buyers.member_id) as is_matched,"
        ~ " exists (select 1 from members where members.shop_id = buyers.shop_id"
        ~ " and ltrim(members.member_id, '0') = ltrim(buyers.member_id, '0')) as is_matched_without_zeros"
        ~ " from buyers)"
        ~ " select count(*), count(case when not is_matched then 1 end),"
        ~ " count(case when not is_matched and is_matched_without_zeros then 1 end) from compared") %}
    {% set row = result.rows[0] %}
    {% if row[1] > 0 %}
        {% do log("member_analytics: WARNING member_id is " ~ types_by_table['orders']['member_id'] ~ " in "
            ~ found['orders']['label'] ~ " but " ~ types_by_table['members']['member_id'] ~ " in "
            ~ found['members']['label'] ~ ": " ~ row[1] ~ " of " ~ row[0] ~ " buyer(s) match no member, "
            ~ row[2] ~ " of them only when leading zeros are ignored (write ids as text to keep them)", info=true) %}
    {% endif %}
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


{#- Relative paths (sorted) of the files inside the raw folder's subfolders, at any depth. -#}
{% macro list_raw_load_files(raw_path) %}
    {{ return(adapter.dispatch('list_raw_load_files', 'member_analytics')(raw_path) | sort) }}
{% endmacro %}

{% macro duckdb__list_raw_load_files(raw_path) %}
    {% set result = run_query("select file from glob('" ~ raw_path ~ "/*/**')") %}
    {% set paths = [] %}
    {% for file_path in result.columns[0].values() %}
        {% do paths.append(file_path[raw_path | length + 1:]) %}
    {% endfor %}
    {{ return(paths) }}
{% endmacro %}


{#- The loads of one table: the files under <raw>/<table>/ in the order of their relative
    paths, as [{path, location, format}]. Files and folders whose name starts with '.' or
    '_' are skipped (as Spark does: _SUCCESS, .crc); any other file must end in .csv or
    .parquet (lower case, as Spark's pathGlobFilter matches), and one table's loads share
    one format (contract errors otherwise). -#}
{% macro raw_table_loads(raw_path, table_name, load_files) %}
    {% set loads = [] %}
    {% for relative in load_files %}
        {% set parts = relative.split('/') %}
        {% set hidden = [] %}
        {% for part in parts %}
            {% if part[:1] in ['.', '_'] %}
                {% do hidden.append(part) %}
            {% endif %}
        {% endfor %}
        {% if parts[0] == table_name and parts | length > 1 and not hidden %}
            {% set extension = parts[-1].rsplit('.', 1)[-1] if '.' in parts[-1] else '' %}
            {% if extension not in ['csv', 'parquet'] %}
                {{ exceptions.raise_compiler_error(
                    "member_analytics: contract error: " ~ raw_path ~ "/" ~ relative ~ " is in the folder of loads of "
                    ~ table_name ~ " but is neither .csv nor .parquet; move it out (names starting with '.' or '_' are skipped)") }}
            {% endif %}
            {% if loads and extension != loads[0]['format'] %}
                {{ exceptions.raise_compiler_error(
                    "member_analytics: contract error: the loads of " ~ table_name ~ " mix formats: "
                    ~ raw_path ~ "/" ~ loads[0]['path'] ~ " is " ~ loads[0]['format'] ~ " but " ~ raw_path ~ "/" ~ relative
                    ~ " is " ~ extension ~ "; write every load of a table in one format") }}
            {% endif %}
            {% do loads.append({'path': relative, 'location': raw_path ~ '/' ~ relative, 'format': extension}) %}
        {% endif %}
    {% endfor %}
    {{ return(loads) }}
{% endmacro %}


{#- A relation reading every load of a folder as one table, every CSV column as text;
    Parquet loads are matched by column name (a later load may add a column). -#}
{% macro raw_folder_relation(table_name, folder, locations, file_format) %}
    {{ return(adapter.dispatch('raw_folder_relation', 'member_analytics')(table_name, folder, locations, file_format)) }}
{% endmacro %}

{% macro duckdb__raw_folder_relation(table_name, folder, locations, file_format) %}
    {% set files = "['" ~ locations | join("', '") ~ "']" %}
    {% if file_format == 'csv' %}
        {{ return("read_csv(" ~ files ~ ", " ~ member_analytics.duckdb__csv_read_options() ~ ")") }}
    {% endif %}
    {{ return("read_parquet(" ~ files ~ ", union_by_name = true)") }}
{% endmacro %}


{#- The relation a landing view reads, with the SQL of each row's load location: on DuckDB
    the file the row was read from (the reader's filename column), so that a filter on it
    with a list of locations skips the other files; a table of var raw_schema has none. -#}
{% macro located_raw_relation(source) %}
    {{ return(adapter.dispatch('located_raw_relation', 'member_analytics')(source)) }}
{% endmacro %}

{% macro default__located_raw_relation(source) %}
    {% if source['format'] == 'table' %}
        {{ return({'from': source['from'], 'load_location': 'null'}) }}
    {% endif %}
    {% set files = "['" ~ source['loads'] | map(attribute='location') | join("', '") ~ "']" %}
    {% set options = "filename = 'member_analytics_load_location'" %}
    {% if source['format'] == 'csv' %}
        {% set relation = "read_csv(" ~ files ~ ", " ~ member_analytics.duckdb__csv_read_options() ~ ", " ~ options ~ ")" %}
    {% else %}
        {% set relation = "read_parquet(" ~ files ~ ", union_by_name = true, " ~ options ~ ")" %}
    {% endif %}
    {{ return({'from': relation, 'load_location': 'member_analytics_load_location'}) }}
{% endmacro %}

{% macro spark__located_raw_relation(source) %}
    {#- Spark stages every load on every build (staging is a table there): no location. -#}
    {{ return({'from': source['from'], 'load_location': 'null'}) }}
{% endmacro %}


{#- landing.raw_loads: one row per load of every table read from files (a snapshot file is
    the table's one load), in load order; row_count when the contents were read (an
    invocation that builds staging), else null. A table, not a view: thousands of loads
    would make a view's text longer than Spark's metastore keeps (32,700 characters). -#}
{% macro write_raw_loads(relation_name, raw_path, found, load_rows, versions) %}
    {% set string_type = dbt.type_string() %}
    {% do adapter.dispatch('replace_landing_table', 'member_analytics')(relation_name,
        "table_name " ~ string_type ~ ", load_path " ~ string_type ~ ", load_location " ~ string_type
        ~ ", load_number " ~ dbt.type_int() ~ ", source_format " ~ string_type ~ ", row_count " ~ dbt.type_bigint()
        ~ ", load_version " ~ string_type) %}
    {% set rows = [] %}
    {% for load in load_rows %}
        {% if found[load['table_name']]['format'] != 'table' %}
            {% do rows.append("(" ~ member_analytics.string_literal(load['table_name'])
                ~ ", " ~ member_analytics.string_literal(load['path'])
                ~ ", " ~ member_analytics.string_literal(raw_path ~ '/' ~ load['path'])
                ~ ", " ~ load['number'] ~ ", " ~ member_analytics.string_literal(load['format'])
                ~ ", " ~ (load['rows'] if load['rows'] is not none else "null")
                ~ ", " ~ (member_analytics.string_literal(versions[load['path']]) if load['path'] in versions else "null")
                ~ ")") %}
        {% endif %}
    {% endfor %}
    {% for batch in rows | batch(500) %}
        {% do run_query("insert into " ~ relation_name ~ " values " ~ batch | join(", ")) %}
    {% endfor %}
{% endmacro %}

{% macro default__replace_landing_table(relation_name, columns_sql) %}
    {% do run_query("create or replace table " ~ relation_name ~ " (" ~ columns_sql ~ ")") %}
{% endmacro %}

{% macro spark__replace_landing_table(relation_name, columns_sql) %}
    {% do run_query("drop table if exists " ~ relation_name) %}
    {% do run_query("create table " ~ relation_name ~ " (" ~ columns_sql ~ ") using parquet") %}
{% endmacro %}


{#- The options every raw CSV is read with on DuckDB (one file, a folder of loads, their
    checks): a header row, every column as text, ',' separated, '"' as quote and escape. -#}
{% macro duckdb__csv_read_options() %}
    {{ return("header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"'") }}
{% endmacro %}


{#- A relation (or table function call) reading one raw file, every column as text. -#}
{% macro raw_file_relation(table_name, location, file_format) %}
    {{ return(adapter.dispatch('raw_file_relation', 'member_analytics')(table_name, location, file_format)) }}
{% endmacro %}

{% macro duckdb__raw_file_relation(table_name, location, file_format) %}
    {% if file_format == 'csv' %}
        {{ return("read_csv('" ~ location ~ "', " ~ member_analytics.duckdb__csv_read_options() ~ ")") }}
    {% endif %}
    {{ return("read_parquet('" ~ location ~ "')") }}
{% endmacro %}


{#- Read a CSV's header line as it is written: a duplicated column or a delimiter other
    than ',' is a contract error naming the file and column (DuckDB would rename or merge). -#}
{% macro check_csv_header(location, names=none) %}
    {% if names is none %}
        {% set names = adapter.dispatch('csv_header_names', 'member_analytics')(location) %}
    {% endif %}
    {% set seen = [] %}
    {% for name in names %}
        {% set clean = name | replace('\ufeff', '') | trim | trim('"') | trim | lower %}
        {% if clean in seen %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: contract error: " ~ location ~ " has the column " ~ clean
                ~ " twice in its header (line 1); keep one") }}
        {% endif %}
        {% do seen.append(clean) %}
    {% endfor %}
    {% if names | length == 1 %}
        {% for delimiter in [';', '\t', '|'] %}
            {% if delimiter in names[0] %}
                {{ exceptions.raise_compiler_error(
                    "member_analytics: contract error: " ~ location ~ " is separated by '" ~ (delimiter | replace('\t', '\\t'))
                    ~ "', not ',' (its header, line 1, reads: " ~ names[0][:200] ~ "). Re-export it comma separated.") }}
            {% endif %}
        {% endfor %}
    {% endif %}
    {{ return(seen) }}
{% endmacro %}

{% macro duckdb__csv_header_names(location) %}
    {#- The first line only, as one column (the unit separator never occurs in a header). -#}
    {% set result = run_query(
        "select line from read_csv('" ~ location ~ "', header = false, auto_detect = false,"
        ~ " columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '', escape = '', strict_mode = false) limit 1") %}
    {% if result.rows | length == 0 %}
        {{ return([]) }}
    {% endif %}
    {{ return((result.rows[0][0] or '').split(',')) }}
{% endmacro %}


{#- The header line of each CSV load, split on ',' ([] for an empty file), dispatched. With
    full (the contents are checked in this invocation) DuckDB reads them in one pass that
    also checks the files are UTF-8. -#}
{% macro raw_load_headers(locations, full) %}
    {{ return(adapter.dispatch('raw_load_headers', 'member_analytics')(locations, full)) }}
{% endmacro %}

{% macro default__raw_load_headers(locations, full) %}
    {% set headers = [] %}
    {% for location in locations %}
        {% do headers.append(adapter.dispatch('csv_header_names', 'member_analytics')(location)) %}
    {% endfor %}
    {{ return(headers) }}
{% endmacro %}

{% macro duckdb__raw_load_headers(locations, full) %}
    {% if not full %}
        {{ return(member_analytics.default__raw_load_headers(locations, full)) }}
    {% endif %}
    {#- read_text names the file that is not valid UTF-8 (read_csv would not). Files over
        1 GB skip this pre-check (read_csv still fails on them). -#}
    {% set sizes = {} %}
    {% for row in run_query("select filename, size from read_blob(['" ~ locations | join("', '") ~ "'])").rows %}
        {% do sizes.update({row[0]: row[1]}) %}
    {% endfor %}
    {% set small = [] %}
    {% for location in locations %}
        {% if sizes.get(location, 0) < 1073741824 %}
            {% do small.append(location) %}
        {% endif %}
    {% endfor %}
    {% set first_lines = {} %}
    {% if small %}
        {% for row in run_query("select filename, case when strpos(content, chr(10)) > 0"
                ~ " then substr(content, 1, strpos(content, chr(10)) - 1) else content end"
                ~ " from read_text(['" ~ small | join("', '") ~ "'])").rows %}
            {% do first_lines.update({row[0]: (row[1] or '').rstrip('\r')}) %}
        {% endfor %}
    {% endif %}
    {% set headers = [] %}
    {% for location in locations %}
        {% if location in first_lines %}
            {% do headers.append(first_lines[location].split(',') if first_lines[location] else []) %}
        {% else %}
            {% do headers.append(member_analytics.duckdb__csv_header_names(location)) %}
        {% endif %}
    {% endfor %}
    {{ return(headers) }}
{% endmacro %}


{#- Check every load of a table (only when staging is built) and return their row counts
    in load order: a contract error naming the load (and line) when one cannot be read.
    Dispatched: one load at a time by default, in one pass per table on DuckDB. -#}
{% macro check_raw_loads(loads, file_format, source) %}
    {{ return(adapter.dispatch('check_raw_loads', 'member_analytics')(loads, file_format, source)) }}
{% endmacro %}

{% macro default__check_raw_loads(loads, file_format, source) %}
    {% set counts = [] %}
    {% for load in loads %}
        {#- a snapshot file's table is its relation; a load of a folder gets its own -#}
        {% do counts.append(member_analytics.check_raw_file(load['location'], file_format,
            source if loads | length == 1 else none)) %}
    {% endfor %}
    {{ return(counts) }}
{% endmacro %}

{#- The line numbers (second field) of the rejects (rows) of one file (first field). -#}
{% macro reject_lines_of(rows, file_path) %}
    {% set lines = [] %}
    {% for row in rows %}
        {% if row[0] == file_path %}
            {% do lines.append(row[1]) %}
        {% endif %}
    {% endfor %}
    {{ return(lines) }}
{% endmacro %}

{% macro duckdb__check_raw_loads(loads, file_format, source) %}
    {% set files = "['" ~ loads | map(attribute='location') | join("', '") ~ "']" %}
    {% set by_file = {} %}
    {% if file_format == 'parquet' %}
        {#- The footers only: the row count of every row group (none in an empty file). -#}
        {% for row in run_query("select file_name, coalesce(sum(num_rows), 0) from parquet_file_metadata(" ~ files ~ ") group by all").rows %}
            {% do by_file.update({row[0]: row[1] | int}) %}
        {% endfor %}
    {% else %}
        {#- UTF-8 was checked with the headers (raw_load_headers); one pass counts the rows
            of every load and keeps the malformed lines with their file and line number. -#}
        {% for row in run_query(
            "select member_analytics_load, count(*) from read_csv(" ~ files ~ ", " ~ member_analytics.duckdb__csv_read_options()
            ~ ", filename = 'member_analytics_load', store_rejects = true,"
            ~ " rejects_table = 'member_analytics_raw_rejects', rejects_scan = 'member_analytics_raw_reject_scans') group by all").rows %}
            {% do by_file.update({row[0]: row[1] | int}) %}
        {% endfor %}
        {% set rejects = run_query(
            "select scans.file_path, rejects.line, rejects.error_type, rejects.csv_line"
            ~ " from member_analytics_raw_rejects as rejects inner join member_analytics_raw_reject_scans as scans"
            ~ " on rejects.scan_id = scans.scan_id and rejects.file_id = scans.file_id"
            ~ " order by scans.file_path, rejects.line limit 3") %}
        {% if rejects.rows | length > 0 %}
            {% set first = rejects.rows[0] %}
            {% set blank = (first[3] or '') | trim == '' %}
            {{ exceptions.raise_compiler_error(
                "member_analytics: contract error: " ~ first[0] ~ " line " ~ first[1] ~ " "
                ~ ("is blank (only spaces or tabs)" if blank else "has " ~ (first[2] | lower) ~ " (it reads: " ~ (first[3] or '')[:200] ~ ")")
                ~ "; lines with problems: " ~ member_analytics.reject_lines_of(rejects.rows, first[0]) | join(', ')
                ~ ". Remove blank lines and give every line the header's number of fields.") }}
        {% endif %}
    {% endif %}
    {% set counts = [] %}
    {% for load in loads %}
        {% do counts.append(by_file.get(load['location'], 0)) %}
    {% endfor %}
    {{ return(counts) }}
{% endmacro %}


{#- Check one raw file's contents and return its row count (called only when staging is
    built): a contract error naming the file (and line) when it cannot be read. -#}
{% macro check_raw_file(location, file_format, source) %}
    {% if file_format == 'table' %}
        {#- a table of var raw_schema: the engine has read and typed it; its row count -#}
        {{ return(run_query("select count(*) from " ~ source).columns[0].values()[0] | int) }}
    {% endif %}
    {{ return(adapter.dispatch('check_raw_file', 'member_analytics')(location, file_format, source)) }}
{% endmacro %}

{% macro default__check_raw_file(location, file_format, source) %}
    {{ return(member_analytics.check_raw_loads([{'location': location}], file_format, source)[0]) }}
{% endmacro %}



{#- The columns of a raw relation as [name, type] pairs, from metadata (dispatched). -#}
{% macro raw_columns(source) %}
    {{ return(adapter.dispatch('raw_columns', 'member_analytics')(source)) }}
{% endmacro %}

{% macro duckdb__raw_columns(source) %}
    {% set result = run_query("select column_name, column_type from (describe select * from " ~ source ~ ")") %}
    {% set columns = [] %}
    {% for row in result.rows %}
        {% do columns.append([row[0], row[1]]) %}
    {% endfor %}
    {{ return(columns) }}
{% endmacro %}


{#- An engine's type name as a class: string, integer, decimal, float, timestamp,
    timestamp_tz, date, boolean, null or other (dispatched). -#}
{% macro raw_type_class(type_name) %}
    {{ return(adapter.dispatch('raw_type_class', 'member_analytics')(type_name | string)) }}
{% endmacro %}

{% macro duckdb__raw_type_class(type_name) %}
    {% set name = type_name | upper | trim %}
    {% if name == 'VARCHAR' or name.startswith('VARCHAR(') %}
        {{ return('string') }}
    {% elif name in ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT'] %}
        {{ return('integer') }}
    {% elif name.startswith('DECIMAL') %}
        {{ return('integer' if modules.re.match('^DECIMAL[(] *[0-9]+ *, *0 *[)]$', name) else 'decimal') }}
    {% elif name in ['FLOAT', 'DOUBLE', 'REAL'] %}
        {{ return('float') }}
    {% elif name in ['TIMESTAMP WITH TIME ZONE', 'TIMESTAMPTZ'] %}
        {{ return('timestamp_tz') }}
    {% elif name in ['TIMESTAMP', 'TIMESTAMP_NS', 'TIMESTAMP_MS', 'TIMESTAMP_S', 'DATETIME'] %}
        {{ return('timestamp') }}
    {% elif name == 'DATE' %}
        {{ return('date') }}
    {% elif name == 'BOOLEAN' %}
        {{ return('boolean') }}
    {% elif name == 'NULL' %}
        {{ return('null') }}
    {% endif %}
    {{ return('other') }}
{% endmacro %}


{#- A typed column as the text staging expects (docs/raw_data_contract.md "Typed columns"),
    dispatched: the rules are the same on every engine, the SQL differs. -#}
{% macro raw_text_expression(column_sql, type_class, kind) %}
    {{ return(adapter.dispatch('raw_text_expression', 'member_analytics')(column_sql, type_class, kind)) }}
{% endmacro %}

{% macro duckdb__raw_text_expression(column_sql, type_class, kind) %}
    {% set c = column_sql %}
    {% if type_class == 'boolean' %}
        {{ return("case when " ~ c ~ " then 'true' when not " ~ c ~ " then 'false' end") }}
    {% elif type_class == 'date' %}
        {{ return("strftime(" ~ c ~ ", '%Y-%m-%d')") }}
    {% elif type_class in ('timestamp', 'timestamp_tz') %}
        {% set local = "timezone('" ~ member_analytics.shop_time_zone() ~ "', " ~ c ~ ")" if type_class == 'timestamp_tz'
            else "cast(" ~ c ~ " as timestamp)" %}
        {% set text = "regexp_replace(strftime(" ~ local ~ ", '%Y-%m-%d %H:%M:%S.%f'), '[.]000000$', '')" %}
        {% if kind == 'date' %}
            {{ return("regexp_replace(" ~ text ~ ", ' 00:00:00$', '')") }}
        {% endif %}
        {{ return(text) }}
    {% elif type_class in ('float', 'decimal') and kind == 'integer' %}
        {{ return("case when isfinite(cast(" ~ c ~ " as double)) and abs(" ~ c ~ ") < 1e18 and " ~ c ~ " = trunc(" ~ c ~ ")"
            ~ " then cast(cast(" ~ c ~ " as bigint) as varchar) else cast(" ~ c ~ " as varchar) end") }}
    {% elif type_class in ('float', 'decimal') and kind == 'amount' %}
        {#- The value as written (shortest round-trip text), rounded half away from zero to cents. -#}
        {{ return("coalesce(cast(cast(round(try_cast(cast(" ~ c ~ " as varchar) as decimal(38, 9)), 2) as decimal(38, 2)) as varchar),"
            ~ " cast(" ~ c ~ " as varchar))") }}
    {% endif %}
    {{ return("cast(" ~ c ~ " as varchar)") }}
{% endmacro %}
