-- A raw table with more than member_analytics__quality__max_rejected_share of
-- its rows rejected is a broken export, not a few bad rows: the build fails and
-- is not published (docs/decisions/0061).
select
    table_name,
    raw_rows,
    rejected_rows,
    cast(rejected_rows as double) / raw_rows as rejected_share
from {{ ref('rpt_row_reconciliation') }}
where
    raw_rows > 0
    and cast(rejected_rows as double) / raw_rows
    > {{ member_analytics.validated_number('member_analytics__quality__max_rejected_share') }}
