-- One row per build and raw load whose delivery changed since the previous build
-- (docs/decisions/0117): a load seen for the first time (new), delivered again
-- under the same path with other bytes (changed), rewritten with the same bytes
-- (touched), or no longer there (removed); a load unchanged since the previous
-- build adds no row. The latest row of a load_path is its current delivery and
-- content_hash (md5 of the file's bytes). A load whose size and modification
-- time are those of its latest row is not read again (var
-- member_analytics__raw_loads__hash_every_run reads every load). Appended to by
-- each build; a full refresh starts the log again (every load new).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
) }}
{%- set raw_path = member_analytics.raw_data_path() %}
{%- set listed_paths = [] %}
{#- (no landing view: compiled outside a run, e.g. by sqlfluff's templater) -#}
{%- if execute and load_relation(source('shop', 'raw_loads')) is not none %}
    {%- for row in run_query("select load_path from " ~ source('shop', 'raw_loads')).rows %}
        {%- do listed_paths.append(row[0]) %}
    {%- endfor %}
{%- endif %}

{%- set previous_sql %}
    {%- if is_incremental() %}
    select
        table_name,
        load_path,
        build_number,
        delivery,
        size_bytes,
        modified_epoch_ms,
        content_hash
    from (
        select
            *,
            row_number() over (partition by load_path order by build_number desc) as recency
        from {{ this }}
    ) as deliveries
    where recency = 1
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as table_name,
        cast(null as {{ dbt.type_string() }}) as load_path,
        cast(null as bigint) as build_number,
        cast(null as {{ dbt.type_string() }}) as delivery,
        cast(null as bigint) as size_bytes,
        cast(null as bigint) as modified_epoch_ms,
        cast(null as {{ dbt.type_string() }}) as content_hash
    where 1 = 0
    {%- endif %}
{%- endset %}

{#- The loads to read: new, re-appeared, or with another size or modification time. -#}
{%- set to_hash = [] %}
{%- if execute and listed_paths %}
    {%- set candidates = run_query(
        "select files.load_path from (" ~ member_analytics.raw_load_files_sql(raw_path, listed_paths, false) ~ ") as files"
        ~ " left join (" ~ previous_sql ~ ") as previous on files.load_path = previous.load_path"
        ~ " where previous.load_path is null or previous.delivery = 'removed'"
        ~ " or files.size_bytes <> previous.size_bytes or files.modified_epoch_ms <> previous.modified_epoch_ms"
        ~ (" or true" if var('member_analytics__raw_loads__hash_every_run') else "")) %}
    {%- for row in candidates.rows %}
        {%- do to_hash.append(row[0]) %}
    {%- endfor %}
{%- endif %}

with

listed as (
    select * from {{ source('shop', 'raw_loads') }}
),

hashed as (
    {{ member_analytics.raw_load_files_sql(raw_path, to_hash | sort, true) }}
),

previous as (
    {{ previous_sql }}
),

build as (
    select coalesce(max(build_number), 0) + 1 as build_number
    from previous
),

read_again as (
    select
        listed.table_name,
        listed.load_path,
        listed.load_number,
        listed.source_format,
        listed.row_count,
        hashed.size_bytes,
        hashed.modified_epoch_ms,
        hashed.content_hash,
        previous.content_hash as previous_content_hash,
        case
            when previous.load_path is null or previous.delivery = 'removed' then 'new'
            when hashed.content_hash <> previous.content_hash then 'changed'
            when hashed.size_bytes <> previous.size_bytes or hashed.modified_epoch_ms <> previous.modified_epoch_ms
                then 'touched'
        end as delivery
    from listed
    inner join hashed
        on listed.load_path = hashed.load_path
    left join previous
        on listed.load_path = previous.load_path
),

removed as (
    select
        previous.table_name,
        previous.load_path,
        cast(null as int) as load_number,
        cast(null as {{ dbt.type_string() }}) as source_format,
        cast(null as bigint) as row_count,
        cast(null as bigint) as size_bytes,
        cast(null as bigint) as modified_epoch_ms,
        cast(null as {{ dbt.type_string() }}) as content_hash,
        previous.content_hash as previous_content_hash,
        'removed' as delivery
    from previous
    left join listed
        on previous.load_path = listed.load_path
    where listed.load_path is null and previous.delivery <> 'removed'
),

deliveries as (
    select * from read_again
    where delivery is not null
    union all
    select * from removed
),

final as (
    select
        build.build_number,
        cast('{{ run_started_at.isoformat()[:19] | replace("T", " ") }}' as timestamp) as recorded_at,
        deliveries.table_name,
        deliveries.load_path,
        deliveries.load_number,
        deliveries.source_format,
        deliveries.delivery,
        deliveries.row_count,
        deliveries.size_bytes,
        deliveries.modified_epoch_ms,
        deliveries.content_hash,
        deliveries.previous_content_hash
    from deliveries
    cross join build
)

select * from final
