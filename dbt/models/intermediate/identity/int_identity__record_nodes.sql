-- Every record as a node of the identity graph: numbered after the identifier nodes.
with

records as (
    select
        record_type,
        record_id,
        observed_at
    from {{ ref('int_identity__records') }}
),

identifier_count as (
    select count(*) as n from {{ ref('int_identity__identifiers') }}
)

select
    cast((select n from identifier_count) + row_number() over (order by record_type, record_id) - 1 as bigint)
        as record_node,
    record_type,
    record_id,
    observed_at
from records
