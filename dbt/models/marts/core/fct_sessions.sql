-- One row per web or app session of the clickstream (int_core__sessions, where the logic lives: intermediate models read it too).
select * from {{ ref('int_core__sessions') }}
