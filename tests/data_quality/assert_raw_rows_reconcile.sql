-- Every raw row is accounted for: raw = kept + rejected + duplicate + superseded.
select
    table_name,
    raw_rows,
    kept_rows,
    rejected_rows,
    duplicate_rows,
    superseded_rows
from {{ ref('rpt_row_reconciliation') }}
where raw_rows <> kept_rows + rejected_rows + duplicate_rows + superseded_rows
