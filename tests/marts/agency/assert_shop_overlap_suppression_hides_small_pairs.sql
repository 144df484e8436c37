-- rpt_shop_overlap (docs/decisions/0126): a suppressed pair shows no count, share or revenue;
-- a pair shown shares at least member_analytics__agency__overlap_min_members persons and
-- shows every value, its revenue together the sum of its two shops'.
select
    shop_id_a,
    shop_id_b,
    number_of_shared_persons,
    is_suppressed
from {{ ref('rpt_shop_overlap') }}
where
    (
        is_suppressed
        and (
            number_of_shared_persons is not null
            or share_of_persons_a is not null
            or share_of_persons_b is not null
            or shared_net_revenue_a is not null
            or shared_net_revenue_b is not null
            or shared_net_revenue is not null
        )
    )
    or (
        not is_suppressed
        and (
            coalesce(number_of_shared_persons, 0) < {{ member_analytics.agency_overlap_min_members() }}
            or share_of_persons_a is null
            or share_of_persons_b is null
            or shared_net_revenue <> shared_net_revenue_a + shared_net_revenue_b
            or shared_net_revenue is null
        )
    )
