-- Every interaction of every channel, one row per source record (int_core__touchpoints, where the logic lives: intermediate models read it too).
select * from {{ ref('int_core__touchpoints') }}
