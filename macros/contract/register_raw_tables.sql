{#- on-run-start: check the raw tables against the contract and register them as landing views (docs/decisions/0004); described in _contract__macros.yml. -#}
{% macro register_raw_tables() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}

    {% set raw_path = member_analytics.validated_path(var('raw_data_path', ''), 'raw_data_path') %}
    {% do member_analytics.validated_roles(var('member_analytics__bi_reader_roles')) %}
    {% do member_analytics.validated_number('member_analytics__quality__max_rejected_share') %}
    {% set raw_schema = member_analytics.validated_identifier(var('raw_schema', ''), 'raw_schema') %}
    {% do member_analytics.validated_date(var('as_of_date', ''), 'as_of_date') %}
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
    {% for table_name, source in found.items() %}
        {% if in_full %}
            {% do log("member_analytics: reading " ~ source['label'], info=true) %}
            {% do rows_by_table.update({table_name: member_analytics.check_raw_file(source['label'], source['format'], source['from'])}) %}
        {% endif %}
        {% if source['format'] == 'csv' %}
            {% do member_analytics.check_csv_header(source['label']) %}
        {% endif %}
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
            {% set view_sql = member_analytics.landing_view_sql(
                table_name, found[table_name]['from'], columns_by_table[table_name], types_by_table[table_name]) %}
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
    {% if in_full and 'members' in found %}
        {% do member_analytics.check_member_key_forms(found, types_by_table) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{% macro landing_schema() %}
    {{ return(member_analytics.validated_identifier(var('member_analytics__landing_schema'), 'member_analytics__landing_schema')) }}
{% endmacro %}


{#- The select behind one landing view: every contract column as text (typed columns
    converted by raw_text_expression, docs/raw_data_contract.md "Typed columns"). -#}
{% macro landing_view_sql(table_name, source, actual_columns, actual_types) %}
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
    {% if source is none %}
        {{ return("select\n    " ~ expressions | join(",\n    ") ~ "\nwhere 1 = 0") }}
    {% endif %}
    {{ return("select\n    " ~ expressions | join(",\n    ") ~ "\nfrom " ~ source) }}
{% endmacro %}


{#- True when this invocation builds (or runs) a staging model, or when dbt does not say
    what is selected: then the raw files are checked in full (docs/decisions/0110). -#}
{% macro selection_builds_staging() %}
    {% if selected_resources is not defined or selected_resources is none %}
        {{ return(true) }}
    {% endif %}
    {% for unique_id in selected_resources %}
        {% set node = graph.nodes.get(unique_id) %}
        {% if node and node.resource_type == 'model' and node.package_name == project_name
              and node.fqn | length > 1 and node.fqn[1] == 'staging' %}
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


{#- Read a CSV's header line as it is written: a duplicated column or a delimiter other
    than ',' is a contract error naming the file and column (DuckDB would rename or merge). -#}
{% macro check_csv_header(location) %}
    {% set names = adapter.dispatch('csv_header_names', 'member_analytics')(location) %}
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


{#- Check one raw file's contents and return its row count (called only when staging is
    built): a contract error naming the file (and line) when it cannot be read. -#}
{% macro check_raw_file(location, file_format, source) %}
    {{ return(adapter.dispatch('check_raw_file', 'member_analytics')(location, file_format, source)) }}
{% endmacro %}

{% macro duckdb__check_raw_file(location, file_format, source) %}
    {% if file_format == 'parquet' %}
        {#- The footer only: the row count of every row group. -#}
        {% set result = run_query("select coalesce(sum(num_rows), 0) from parquet_file_metadata('" ~ location ~ "')") %}
        {{ return(result.rows[0][0] | int) }}
    {% endif %}
    {#- read_text names the file when it is not valid UTF-8 (read_csv would not). Files over
        1 GB skip this pre-check (read_csv still fails on them). -#}
    {% set size = run_query("select size from read_blob('" ~ location ~ "')").columns[0].values()[0] %}
    {% if size < 1073741824 %}
        {% do run_query("select sum(length(content)) from read_text('" ~ location ~ "')") %}
    {% endif %}
    {#- One pass that counts the rows and keeps the malformed lines (blank, too few or too
        many fields) with their line numbers. -#}
    {% set result = run_query(
        "select count(*) from read_csv('" ~ location ~ "', header = true, all_varchar = true, delim = ',',"
        ~ " quote = '\"', escape = '\"', store_rejects = true, rejects_table = 'member_analytics_raw_rejects',"
        ~ " rejects_scan = 'member_analytics_raw_reject_scans')") %}
    {% set row_count = result.rows[0][0] | int %}
    {% set rejects = run_query(
        "select line, error_type, csv_line from member_analytics_raw_rejects order by line limit 3") %}
    {% if rejects.rows | length > 0 %}
        {% set first = rejects.rows[0] %}
        {% set blank = (first[2] or '') | trim == '' %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: contract error: " ~ location ~ " line " ~ first[0] ~ " "
            ~ ("is blank (only spaces or tabs)" if blank else "has " ~ (first[1] | lower) ~ " (it reads: " ~ (first[2] or '')[:200] ~ ")")
            ~ "; lines with problems: " ~ rejects.rows | map(attribute=0) | join(', ')
            ~ ". Remove blank lines and give every line the header's number of fields.") }}
    {% endif %}
    {{ return(row_count) }}
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
