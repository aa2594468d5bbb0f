-- Every order of every channel (int_core__orders, where the logic lives: intermediate models read it too).
select * from {{ ref('int_core__orders') }}
