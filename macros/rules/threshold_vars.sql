{#- Every threshold var of the project (dbt_project.yml, member_analytics__*),
    recorded in rpt_build_metadata (the pii salt is left out on purpose). A pytest checks this list against
    dbt_project.yml, so a new var cannot be forgotten here. -#}
{% macro threshold_var_names() %}
    {{ return([
        'member_analytics__landing_schema',
        'member_analytics__validation__earliest_valid_date',
        'member_analytics__validation__latest_valid_date',
        'member_analytics__rfm__active_period_max_days',
        'member_analytics__rfm__silent_period_max_days',
        'member_analytics__rfm__sleeping_period_max_days',
        'member_analytics__rfm__loyalty_ladder_top_step',
        'member_analytics__lifecycle__new_buyer_window_days',
        'member_analytics__lifecycle__loyal_window_days',
        'member_analytics__lifecycle__loyal_min_purchase_days',
        'member_analytics__co_purchase__window_days',
        'member_analytics__co_purchase__max_basket_items',
        'member_analytics__co_purchase__min_pair_baskets',
        'member_analytics__co_purchase__min_support',
        'member_analytics__co_purchase__min_lift',
        'member_analytics__co_purchase__sequence_max_days',
        'member_analytics__co_purchase__sequence_min_members',
        'member_analytics__co_purchase__bundle_min_lift',
        'member_analytics__co_purchase__bundle_min_support',
        'member_analytics__co_purchase__recommendation_min_lift',
        'member_analytics__co_purchase__recommendations_per_product',
        'member_analytics__co_purchase__recommendations_per_member',
        'member_analytics__co_purchase__recent_purchase_days',
    ]) }}
{% endmacro %}
