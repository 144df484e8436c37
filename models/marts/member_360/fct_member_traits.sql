-- One row per shop, member of dim_members and declared trait (seed member_traits)
-- with at least one matching event in the trait's window: the trait's value as of
-- as_of_date (docs/decisions/0124). Every trait is computed by the same SQL: the
-- events of the seven source tables in one shape (member, date, amount, event type,
-- product and category), matched to the traits of their source, filtered by event
-- type, category and window, then aggregated by the trait's aggregation. A trait
-- is added by a row of the seed, no SQL.
{#- checks the seed at compile time (a clear error naming the trait and the column), and
    reads only the sources some trait counts (all of them when compiled without the seed) -#}
{%- set declared = member_analytics.declared_traits() %}
{%- set used_sources = declared | map(attribute='source_table') | list %}

with

members as (
    select
        shop_id,
        member_id
    from {{ ref('dim_members') }}
),

products as (
    select
        shop_id,
        product_id,
        category
    from {{ ref('dim_products') }}
),

traits as (
    select * from {{ ref('member_traits') }}
),

behaviour_events as (
    select
        shop_id,
        member_id,
        event_type,
        product_id,
        cast(occurred_at as date) as event_date
    from {{ ref('stg_shop__behavior_events') }}
    where row_status = 'kept'
),

-- every source in one shape; amount is the net amount (orders, order lines) or the
-- signed points (points); nothing after as_of_date
{#- (the sources it serves, source_table, relation, event type, product, date, amount, condition) -#}
{%- set null_string = 'cast(null as ' ~ dbt.type_string() ~ ')' %}
{%- set sources = [
    (['orders'], "'orders'", ref('fct_orders'), null_string, null_string, 'ordered_date', 'net_amount',
     'is_valid_purchase'),
    (['order_items'], "'order_items'", ref('fct_order_items'), null_string, 'product_id', 'ordered_date',
     'net_amount', 'is_valid_purchase'),
    (['visits'], "'visits'", ref('int_member_visit_days'), null_string, null_string, 'visit_date', 'null', 'true'),
    (['favourites', 'carts'], "case event_type when 'favorite' then 'favourites' else 'carts' end",
     'behaviour_events', 'event_type', 'product_id', 'event_date', 'null', "event_type in ('favorite', 'cart')"),
    (['behaviour_events'], "'behaviour_events'", 'behaviour_events', 'event_type', 'product_id', 'event_date',
     'null', 'true'),
    (['service_events'], "'service_events'", ref('fct_service_events'), 'event_type', 'product_id',
     'occurred_date', 'null', 'true'),
    (['points'], "'points'", ref('fct_member_points_ledger'), 'movement_type', null_string, 'movement_date',
     'points', 'true'),
] %}
{%- set read_sources = [] %}
{%- for source in sources if not used_sources or source[0] | select('in', used_sources) | list %}
    {%- do read_sources.append(source) %}
{%- endfor %}
events as (
    {% for serves, source_table, relation, event_type, product_id, event_date, amount, condition in read_sources %}
        select
            {{ source_table }} as source_table,
            shop_id,
            member_id,
            {{ event_type }} as event_type,
            {{ product_id }} as product_id,
            {{ event_date }} as event_date,
            cast({{ amount }} as decimal(38, 2)) as amount
        from {{ relation }}
        where {{ condition }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- as_of_date is written where it is used (the macro), not cross-joined from a
-- one-row CTE (docs/decisions/0138).
-- each event paired with the traits it counts for: same source, one of the trait's
-- event types (a space-separated list) and its category when it names them, inside
-- its window (window_days days up to and including as_of_date; empty: all history)
matched as (
    select
        traits.trait_name,
        traits.aggregation,
        events.shop_id,
        events.member_id,
        events.event_date,
        events.amount,
        events.product_id,
        products.category
    from events
    inner join traits
        on events.source_table = traits.source_table
    left join products
        on
            events.shop_id = products.shop_id
            and events.product_id = products.product_id
    where
        events.event_date <= {{ member_analytics.as_of_date() }}
        and (
            traits.window_days is null
            or events.event_date >= {{ member_analytics.trailing_window_start(member_analytics.as_of_date(), 'traits.window_days') }}
        )
        and (
            traits.event_type is null
            or instr(' ' || traits.event_type || ' ', ' ' || events.event_type || ' ') > 0
        )
        and (traits.category is null or products.category = traits.category)
),

-- the distinct days are counted only for the traits that read them (distinct_days):
-- a distinct count hashes every value it is given, and the other traits' rows are
-- most of the matches (about a fifth of the model's time at 1 M orders)
aggregated as (
    select
        shop_id,
        member_id,
        trait_name,
        aggregation,
        count(*) as matching_events,
        count(distinct case when aggregation = 'distinct_days' then event_date end) as matching_days,
        sum(amount) as amount,
        min(event_date) as first_date,
        max(event_date) as last_date
    from matched
    group by shop_id, member_id, trait_name, aggregation
),

-- the most frequent category or product: most matching events, then the latest,
-- then the smallest code
modes as (
    select
        shop_id,
        member_id,
        trait_name,
        mode_value,
        row_number() over (
            partition by shop_id, member_id, trait_name
            order by events desc, last_date desc, mode_value asc
        ) as mode_rank
    from (
        select
            shop_id,
            member_id,
            trait_name,
            case aggregation when 'most_frequent_category' then category else product_id end as mode_value,
            count(*) as events,
            max(event_date) as last_date
        from matched
        where aggregation in ('most_frequent_category', 'most_frequent_product')
        group by
            shop_id,
            member_id,
            trait_name,
            case aggregation when 'most_frequent_category' then category else product_id end
    ) as counted
    where mode_value is not null
),

valued as (
    select
        aggregated.shop_id,
        aggregated.member_id,
        aggregated.trait_name,
        aggregated.aggregation,
        case aggregated.aggregation
            when 'count' then cast(aggregated.matching_events as decimal(38, 2))
            when 'distinct_days' then cast(aggregated.matching_days as decimal(38, 2))
            when 'sum_amount' then aggregated.amount
        end as number_value,
        case aggregated.aggregation
            when 'first' then aggregated.first_date
            when 'last' then aggregated.last_date
        end as date_value,
        modes.mode_value as text_value
    from aggregated
    left join modes
        on
            aggregated.shop_id = modes.shop_id
            and aggregated.member_id = modes.member_id
            and aggregated.trait_name = modes.trait_name
            and modes.mode_rank = 1
),

final as (
    select
        valued.shop_id,
        valued.member_id,
        valued.trait_name,
        traits.trait_order,
        valued.aggregation,
        case
            when valued.aggregation in ('first', 'last') then 'date'
            when valued.aggregation in ('most_frequent_category', 'most_frequent_product') then 'text'
            else 'number'
        end as value_kind,
        valued.number_value,
        valued.date_value,
        valued.text_value,
        case
            when valued.aggregation in ('count', 'distinct_days')
                then cast(cast(valued.number_value as bigint) as {{ dbt.type_string() }})
            when valued.aggregation = 'sum_amount' then cast(valued.number_value as {{ dbt.type_string() }})
            when valued.date_value is not null then cast(valued.date_value as {{ dbt.type_string() }})
            else valued.text_value
        end as trait_value,
        {{ member_analytics.as_of_date() }} as as_of_date
    from valued
    inner join traits
        on valued.trait_name = traits.trait_name
    inner join members
        on
            valued.shop_id = members.shop_id
            and valued.member_id = members.member_id
    -- a mode over events none of which names a category (or product) has no value
    where valued.aggregation not in ('most_frequent_category', 'most_frequent_product') or valued.text_value is not null
)

select * from final
