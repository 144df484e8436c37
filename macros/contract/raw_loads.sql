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
    {#- One binaryFile scan per load (content is read only when selected). -#}
    {% set selects = [] %}
    {% for load_path in load_paths %}
        {% do selects.append("select '" ~ load_path | replace("'", "\\'") ~ "' as load_path, cast(length as bigint) as size_bytes,"
            ~ " unix_millis(modificationTime) as modified_epoch_ms" ~ (", md5(content) as content_hash" if with_hash else "")
            ~ " from binaryFile.`" ~ raw_path ~ "/" ~ load_path ~ "`") %}
    {% endfor %}
    {{ return(selects | join("\nunion all\n")) }}
{% endmacro %}
