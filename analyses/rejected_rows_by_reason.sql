-- Question: "Which of our exports need fixing, and why?"
-- One row per shop, table and reason with the number of quarantined rows,
-- most frequent first.
with

rejected as (
    select * from {{ ref('fct_rejected_rows') }}
),

final as (
    select
        coalesce(shop_id, '<no shop>') as shop_id,
        table_name,
        rejection_reason,
        count(*) as rejected_rows
    from rejected
    group by coalesce(shop_id, '<no shop>'), table_name, rejection_reason
)

select * from final
order by rejected_rows desc, shop_id asc, table_name asc, rejection_reason asc
