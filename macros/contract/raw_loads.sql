{#- The files behind audit.rpt_raw_loads (docs/decisions/0117); described in _contract__macros.yml. -#}


{#- One row per load (load_path, relative to the raw folder): its size in bytes, its
    modification time (ms since the epoch) and, when with_hash, the md5 of its bytes.
    Metadata only unless with_hash. -#}
{% macro raw_load_files_sql(raw_path, load_paths, with_hash) %}
    {% if not load_paths %}
        {{ return("select cast(null as " ~ dbt.type_string() ~ ") as load_path, cast(null as bigint) as size_bytes,"
            ~ " cast(null as bigint) as modified_epoch_ms"
            ~ (", cast(null as " ~ dbt.type_string() ~ ") as content_hash" if with_hash else "") ~ " where 1 = 0") }}
    {% endif %}
    {{ return(adapter.dispatch('raw_load_files_sql', 'member_analytics')(raw_path, load_paths, with_hash)) }}
{% endmacro %}

{% macro duckdb__raw_load_files_sql(raw_path, load_paths, with_hash) %}
    {#- read_blob reads a file's bytes only when content is selected. -#}
    {% set locations = [] %}
    {% for load_path in load_paths %}
        {% do locations.append("'" ~ (raw_path ~ '/' ~ load_path) | replace("'", "''") ~ "'") %}
    {% endfor %}
    {{ return("select substr(filename, " ~ (raw_path | length + 2) ~ ") as load_path, cast(size as bigint) as size_bytes,"
        ~ " epoch_ms(last_modified) as modified_epoch_ms" ~ (", md5(content) as content_hash" if with_hash else "")
        ~ " from read_blob([" ~ locations | join(", ") ~ "])") }}
{% endmacro %}

{% macro spark__raw_load_files_sql(raw_path, load_paths, with_hash) %}
    {#- One binaryFile scan of the raw folder at any depth (a temporary view, as the hook's
        listing), kept to the loads asked for: one scan per load took about a minute for
        the 320 loads of the suite's Spark build. path is a URI (file:/raw/orders/a.csv):
        the load's path is what follows the raw folder (the hook stops the build on a
        load whose URI does not contain the folder's path: spark__check_raw_loads).
        Content is read only when selected, but then for every file the scan lists: so
        the loads are hashed in one scan only when they are at least half of the folder's
        files (a first build), else one scan per load (a daily run's few). -#}
    {% do run_query("create or replace temporary view member_analytics_raw_load_files using binaryFile"
        ~ " options (path " ~ member_analytics.string_literal(raw_path) ~ ", recursiveFileLookup 'true')") %}
    {% if with_hash %}
        {% set files = run_query("select count(*) from member_analytics_raw_load_files").columns[0].values()[0] %}
        {% if load_paths | length * 2 < files %}
            {% set selects = [] %}
            {% for load_path in load_paths %}
                {% do selects.append("select " ~ member_analytics.string_literal(load_path) ~ " as load_path,"
                    ~ " cast(length as bigint) as size_bytes, unix_millis(modificationTime) as modified_epoch_ms,"
                    ~ " md5(content) as content_hash from binaryFile.`" ~ raw_path ~ "/" ~ load_path ~ "`") %}
            {% endfor %}
            {{ return(selects | join("\nunion all\n")) }}
        {% endif %}
    {% endif %}
    {% set marker = raw_path.rstrip('/') ~ '/' %}
    {% set quoted = [] %}
    {% for load_path in load_paths %}
        {% do quoted.append(member_analytics.string_literal(load_path)) %}
    {% endfor %}
    {{ return("select load_path, cast(length as bigint) as size_bytes, unix_millis(modificationTime) as modified_epoch_ms"
        ~ (", md5(content) as content_hash" if with_hash else "")
        ~ " from (select substr(path, instr(path, " ~ member_analytics.string_literal(marker) ~ ") + "
        ~ marker | length ~ ") as load_path, length, modificationTime" ~ (", content" if with_hash else "")
        ~ " from member_analytics_raw_load_files) as files where load_path in (" ~ quoted | join(", ") ~ ")") }}
{% endmacro %}


{#- The version of every load of the tables read from files, as a dict load_path →
    '<size in bytes>:<modification time in ms>' (metadata only): what the hook compares
    with the log (unchanged_raw_loads) and staging with its rows (docs/decisions/0118).
    Empty on Spark, where staging reads every load on every build (dispatched). -#}
{% macro raw_load_versions(raw_path, found) %}
    {{ return(adapter.dispatch('raw_load_versions', 'member_analytics')(raw_path, found)) }}
{% endmacro %}

{% macro default__raw_load_versions(raw_path, found) %}
    {% set versions = {} %}
    {% set paths = [] %}
    {% for source in found.values() if source['format'] != 'table' %}
        {% do paths.extend(source['loads'] | map(attribute='path') | list) %}
    {% endfor %}
    {% if paths %}
        {% for row in run_query(member_analytics.raw_load_files_sql(raw_path, paths, false)).rows %}
            {% do versions.update({row[0]: row[1] ~ ':' ~ row[2]}) %}
        {% endfor %}
    {% endif %}
    {{ return(versions) }}
{% endmacro %}

{% macro spark__raw_load_versions(raw_path, found) %}
    {{ return({}) }}
{% endmacro %}


{#- The loads an earlier build checked that are unchanged since (their version equals
    their latest row's in audit.rpt_raw_loads), as a dict load_path → row count: the
    on-run-start hook does not read them again (docs/decisions/0118). Empty on a full
    refresh, before the first build, with var member_analytics__raw_loads__hash_every_run,
    and without versions (Spark). -#}
{% macro unchanged_raw_loads(versions) %}
    {% set unchanged = {} %}
    {% if not versions or flags.FULL_REFRESH or var('member_analytics__raw_loads__hash_every_run') %}
        {{ return(unchanged) }}
    {% endif %}
    {% set log_relation = member_analytics.built_relation('rpt_raw_loads') %}
    {% if log_relation is none %}
        {{ return(unchanged) }}
    {% endif %}
    {% set rows = run_query(
        "select load_path, size_bytes, modified_epoch_ms, row_count from (select *,"
        ~ " row_number() over (partition by load_path order by build_number desc) as recency"
        ~ " from " ~ log_relation ~ ") as logged"
        ~ " where recency = 1 and delivery <> 'removed' and row_count is not null").rows %}
    {% for row in rows if versions.get(row[0]) == row[1] ~ ':' ~ row[2] %}
        {% do unchanged.update({row[0]: row[3] | int}) %}
    {% endfor %}
    {{ return(unchanged) }}
{% endmacro %}
