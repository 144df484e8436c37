{#- Tier and points rules (docs/decisions/0030, 0031); described in _rules__macros.yml. -#}

{#- An order that counts for tiers and points from its order day. -#}
{% macro is_counting_order(status, paid_amount) -%}
    {{ member_analytics.is_valid_purchase(status, paid_amount, 'cast(0 as decimal(18, 2))') }}
{%- endmacro %}


{#- true when counters restart after a lapse (var tiers__counters_after_lapse). -#}
{% macro tier_counters_restart() %}
    {% set value = var('member_analytics__tiers__counters_after_lapse') | string %}
    {% if value not in ('restart', 'keep') %}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var 'member_analytics__tiers__counters_after_lapse' must be restart or keep, got '"
            ~ value ~ "'") }}
    {% endif %}
    {{ return(value == 'restart') }}
{% endmacro %}


{#- The measure a scheme ranks members by: purchase count or net spend. -#}
{% macro tier_measure(basis, cumulative_count, cumulative_net_spend) -%}
    case
        when {{ basis }} = 'purchase_count' then cast({{ cumulative_count }} as decimal(18, 2))
        else {{ cumulative_net_spend }}
    end
{%- endmacro %}


{#- True for the period of the tier history that contains the date. -#}
{% macro tier_period_contains(history, date_expression) -%}
    (
        {{ history }}.valid_from <= {{ date_expression }}
        and ({{ history }}.valid_to is null or {{ date_expression }} < {{ history }}.valid_to)
    )
{%- endmacro %}


{#- Purchase points for an amount of money, in integer cents. -#}
{% macro purchase_points(amount, multiplier) -%}
    {%- set rate = member_analytics.validated_number('member_analytics__points__yuan_per_point') | float -%}
    {%- if rate <= 0 -%}
        {{ exceptions.raise_compiler_error(
            "member_analytics: var 'member_analytics__points__yuan_per_point' must be above 0, got '" ~ rate ~ "'") }}
    {%- endif -%}
    (
        {{ member_analytics.integer_divide(
            'cast(round(' ~ amount ~ ' * 100) as bigint)', (rate * 100) | round | int) }}
        * {{ multiplier }}
    )
{%- endmacro %}


{#- The refund of an order as it stands on the as-of date. -#}
{% macro refund_as_of_columns(orders, as_of_date_expression) -%}
    case
        when {{ orders }}.refund_date <= {{ as_of_date_expression }} then {{ orders }}.refund_amount
        else cast(0 as decimal(18, 2))
    end as refund_amount,
    case
        when {{ orders }}.refund_date <= {{ as_of_date_expression }}
            then greatest({{ orders }}.refund_date, {{ orders }}.ordered_date)
    end as refund_date
{%- endmacro %}


{#- The tipping point: near the next tier. -#}
{% macro is_near_upgrade(basis, next_tier_lower_bound, measure) -%}
    coalesce(
        case
            when {{ basis }} = 'purchase_count'
                then {{ next_tier_lower_bound }} - {{ measure }}
                <= {{ member_analytics.validated_number('member_analytics__tiers__near_upgrade_orders') }}
            else {{ next_tier_lower_bound }} - {{ measure }}
                <= {{ member_analytics.validated_number('member_analytics__tiers__near_upgrade_spend_share') }}
                * {{ next_tier_lower_bound }}
        end,
        false
    )
{%- endmacro %}


{#- The members whose tier states change by time alone between the previous build and
    this one (SQL, shop_id and member_id): a projected lapse after the earlier and on or
    before the later of the two as_of_dates, read from `relation` (int_member_tier_states,
    or none for its ref). -#}
{% macro lapse_window_members(state, relation=none) -%}
    select distinct
        shop_id,
        member_id
    from {{ relation if relation is not none else ref('int_member_tier_states') }}
    where
        projected_lapse_date > least(cast('{{ state.as_of_date }}' as date), {{ member_analytics.as_of_date() }})
        and projected_lapse_date <= greatest(cast('{{ state.as_of_date }}' as date), {{ member_analytics.as_of_date() }})
{%- endmacro %}


{#- A filter: true for the changed members and the members of lapse_window_members. -#}
{% macro is_tier_changed_member(state, relation_alias, relation=none) -%}
    {%- if state is none -%}
    true
    {%- else -%}
    ({{ member_analytics.is_changed_member(state, relation_alias) }}
        or exists (
            select 1
            from ({{ member_analytics.lapse_window_members(state, relation) }}) as lapsing
            where
                lapsing.shop_id = {{ relation_alias }}.shop_id
                and lapsing.member_id = {{ relation_alias }}.member_id
        ))
    {%- endif -%}
{%- endmacro %}


{#- The members whose points ledger a daily run recomputes (SQL, shop_id and member_id):
    the changed members, those whose lapse the moving as_of_date crosses
    (lapse_window_members), and the members who share a points request with one of
    them (a request's first row wins whichever member it names, so a change to one row
    can move another member's points). -#}
{% macro points_ledger_members(state) -%}
    select
        shop_id,
        member_id
    from {{ ref('int_incremental_changed_members') }}
    union
    {{ member_analytics.lapse_window_members(state) }}
    union
    select
        sharing.shop_id,
        sharing.member_id
    from {{ ref('stg_shop__points_events') }} as sharing
    inner join {{ ref('stg_shop__points_events') }} as own
        on sharing.shop_id = own.shop_id and sharing.request_id = own.request_id
    where
        sharing.row_status = 'kept'
        and own.row_status = 'kept'
        and {{ member_analytics.is_tier_changed_member(state, 'own') }}
{%- endmacro %}


{#- A filter: true for the members of points_ledger_members (`members`: the model's CTE
    of them; none: their query), or on a full build. -#}
{% macro is_ledger_member(state, relation_alias, members='ledger_members') -%}
    {%- if state is none -%}
    true
    {%- else -%}
    exists (
        select 1
        from {{ '(' ~ member_analytics.points_ledger_members(state) ~ ')' if members is none else members }} as recomputed
        where recomputed.shop_id = {{ relation_alias }}.shop_id and recomputed.member_id = {{ relation_alias }}.member_id
    )
    {%- endif -%}
{%- endmacro %}


{#- A filter of points events: true for a row of a request one of the model's
    ledger_members made (or of such a member), or on a full build. -#}
{% macro is_ledger_request(state, relation_alias) -%}
    {%- if state is none -%}
    true
    {%- else -%}
    ({{ member_analytics.is_ledger_member(state, relation_alias) }}
        or exists (
            select 1
            from {{ ref('stg_shop__points_events') }} as own
            inner join ledger_members
                on own.shop_id = ledger_members.shop_id and own.member_id = ledger_members.member_id
            where
                own.row_status = 'kept'
                and own.shop_id = {{ relation_alias }}.shop_id
                and own.request_id = {{ relation_alias }}.request_id
        ))
    {%- endif -%}
{%- endmacro %}


{#- pre-hook of fct_member_points_ledger: delete the movements of points_ledger_members,
    or every row. -#}
{% macro delete_points_movements() %}
    {{ return(member_analytics.delete_recomputed_rows(
        member_analytics.member_keyed_state, [['members', 'points_events']], member_analytics.is_ledger_member,
        {'members': none})) }}
{% endmacro %}


{#- pre-hook of the models keyed by the tier states' members (int_member_tier_states
    itself, with own_lapses: the projected lapses it stored; int_member_tier_periods and
    fct_order_tiers: those of the tier states just rebuilt): delete the rows of
    is_tier_changed_member, or every row. -#}
{% macro delete_tier_keyed_members(own_lapses=false) %}
    {{ return(member_analytics.delete_recomputed_rows(
        member_analytics.incremental_state, [], member_analytics.is_tier_changed_member,
        {'relation': this if own_lapses else none})) }}
{% endmacro %}
