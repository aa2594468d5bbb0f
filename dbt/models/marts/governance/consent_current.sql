-- The consent in force now for every customer, channel and purpose (int_consent__current, where the logic lives: intermediate models read it too).
select * from {{ ref('int_consent__current') }}
