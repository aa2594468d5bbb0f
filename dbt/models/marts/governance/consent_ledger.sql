-- Every consent event per customer, channel and purpose, once (int_consent__ledger, where the logic lives: intermediate models read it too).
select * from {{ ref('int_consent__ledger') }}
