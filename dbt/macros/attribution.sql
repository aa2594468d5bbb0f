{#- Attribution, journeys and audiences: shared settings, tests and the audience pattern. -#}

{#- The lookback window of a conversion path, as an interval. -#}
{% macro attribution_lookback() -%}
    {{ interval_days(var('attribution_lookback_days', 30)) }}
{%- endmacro %}

{#- A predicate: the step `step` (an alias with `step_at`) is on the conversion path of the order `order`
    (an alias with `placed_at`): before the order and within the lookback. -#}
{% macro on_conversion_path(step, order) -%}
    {{ step }}.step_at < {{ order }}.placed_at
    and {{ step }}.step_at >= {{ order }}.placed_at - {{ attribution_lookback() }}
{%- endmacro %}

{#- The moment audiences are computed for: var('audience_as_of') when pinned (a timestamp), else the
    newest touchpoint of the warehouse (generated worlds end in the past, so now() would be empty). -#}
{% macro audience_as_of(touchpoints) -%}
    {%- if var('audience_as_of', none) -%}
        cast('{{ var("audience_as_of") }}' as timestamp with time zone)
    {%- else -%}
        (select max(touchpoint_at) from {{ touchpoints }})
    {%- endif -%}
{%- endmacro %}

{#- The columns every audience hands to the marketing tool, for the customers of `eligible` (a CTE
    with a `customer_key` column) that have current marketing consent for at least one channel:
    consented channels, messages already sent in the cap window, the cap flag and the next best
    channel (null when capped). `contactability` is a relation shaped like
    int_audiences__contactability. Copy an audience model and change its `eligible` CTE. -#}
{% macro audience_contact_plan(eligible, contactability) -%}
    select
        {{ eligible }}.*,
        contact.consented_channels,
        contact.has_email_consent,
        contact.has_sms_consent,
        contact.has_push_consent,
        contact.messages_sent_in_cap_window,
        contact.is_frequency_capped,
        contact.next_best_channel,
        contact.next_best_channel is not null as is_contactable,
        contact.as_of_at
    from {{ eligible }}
    inner join (
        select
            customer_key,
            {{ aggregate_list('channel', order_by='channel_rank', where='has_consent') }} as consented_channels,
            bool_or(has_consent and channel = 'email') as has_email_consent,
            bool_or(has_consent and channel = 'sms') as has_sms_consent,
            bool_or(has_consent and channel = 'push') as has_push_consent,
            any_value(messages_sent_in_cap_window) as messages_sent_in_cap_window,
            bool_or(is_frequency_capped) as is_frequency_capped,
            -- only a consented channel can be chosen; nobody is chosen for a capped customer
            {{ first_by('channel', 'case when has_consent and not is_frequency_capped then channel_rank end') }}
                as next_best_channel,
            any_value(as_of_at) as as_of_at
        from {{ contactability }}
        group by customer_key
        having bool_or(has_consent)
    ) as contact on contact.customer_key = {{ eligible }}.customer_key
{%- endmacro %}

{#- Per group (`group_by`), the `column_name` values sum to 1 (within `tolerance`). -#}
{% test sums_to_one(model, column_name, group_by, tolerance=1e-9) %}
select {{ group_by | join(', ') }}, sum({{ column_name }}) as total
from {{ model }}
group by {{ group_by | join(', ') }}
having abs(sum({{ column_name }}) - 1) > {{ tolerance }}
{% endtest %}

{#- Every value of `to`.`field` appears in `column_name` of the model (the reverse of relationships). -#}
{% test covers_all(model, column_name, to, field) %}
select parent.{{ field }}
from {{ to }} as parent
left join (select distinct {{ column_name }} as value from {{ model }}) as child
    on child.value = parent.{{ field }}
where child.value is null
{% endtest %}

{#- The outcome of a group of journeys (journey_paths rows), the same in every journey summary:
    journeys, converted journeys, revenue and touchpoints per conversion. -#}
{% macro journey_outcomes() -%}
    count(*) as journey_count,
    count(case when is_converted then 1 end) as converted_journey_count,
    sum(order_total_pln) as revenue_pln,
    avg(case when is_converted then touchpoint_count end) as avg_touchpoints_per_conversion
{%- endmacro %}

{#- Incremental attribution (docs/incremental.md): the profiles (customer_key, else anonymous_id) whose
    steps an incremental run of int_attribution__steps recomputes, from all of their touchpoints. A profile
    is recomputed when one of its touchpoints changed since the model's last run, and so is the profile a
    changed touchpoint belonged to before (its step in the model's own rows). A session ties profiles
    together: its first ad click is the step of the session's visitor, so the profiles of every touchpoint
    and step of a session with a changed touchpoint (its session now, or that of its step before) are
    recomputed. A visit that landed with a campaign's utm is credited to the campaign only after an exposure
    of the visitor's own profile (a message of the campaign sent, opened or clicked, an ad of it clicked):
    a changed exposure recomputes its profile (above), and an exposure that moved to another profile (a
    merge or a re-stitch re-keyed its record) recomputes also the profile it left (the moves logged by
    int_identity__record_keys, macro profiles_left_since_last_run). -#}
{% macro attribution_step_profiles_to_recompute() -%}
    with

    changed as (
        select
            touchpoint_key,
            coalesce(customer_key, anonymous_id) as profile_key,
            session_id
        from {{ ref('int_core__touchpoints') }} as touchpoints
        where {{ changed_since_last_run('touchpoints') }}
    ),

    -- the sessions of the changed touchpoints, now and in the steps written before (an ad click that
    -- moved to another session leaves its old session's visit to be a step again)
    changed_sessions as (
        select session_id from changed
        where session_id is not null
        union
        select previous.session_id from {{ this }} as previous
        where previous.session_id is not null and previous.touchpoint_key in (select touchpoint_key from changed)
    ),

    profiles as (
        select profile_key from changed
        union all
        select previous.profile_key from {{ this }} as previous
        where previous.touchpoint_key in (select touchpoint_key from changed)
        union all
        select coalesce(touchpoints.customer_key, touchpoints.anonymous_id)
        from {{ ref('int_core__touchpoints') }} as touchpoints
        where touchpoints.session_id in (select session_id from changed_sessions)
        union all
        select previous.profile_key from {{ this }} as previous
        where previous.session_id in (select session_id from changed_sessions)
        union all
        {{ profiles_left_since_last_run() }}
    )

    select distinct profile_key from profiles
    where profile_key is not null
{%- endmacro %}

{#- Incremental journeys (journey_paths, docs/incremental.md): the profiles (customer_key, else
    anonymous_id) whose journeys a run recomputes. Every journey is one profile's: a converted journey is
    its order's (the buyer's steps before it), a not-converted one a run of the profile's steps that no
    order of the profile followed. A profile is recomputed when one of its steps changed since the model's
    last run, when one of its orders or their conversion paths changed (and so is the order's buyer
    before, from the model's own rows), when it has journeys here but no step left (merged into another
    profile), and when one of its open journeys is now more than a window before the end of the data
    (it can no longer convert: not converted). -#}
{% macro journey_profiles_to_recompute() -%}
    with

    changed_orders as (
        select order_key from {{ ref('fct_orders') }} as orders
        where {{ changed_since_last_run('orders') }}
        union
        select order_key from {{ ref('int_attribution__conversion_paths') }} as paths
        where {{ changed_since_last_run('paths') }}
    ),

    profiles as (
        select profile_key from {{ ref('int_attribution__steps') }} as steps
        where {{ changed_since_last_run('steps') }}
        union all
        select coalesce(orders.customer_key, orders.anonymous_id) from {{ ref('fct_orders') }} as orders
        where orders.order_key in (select order_key from changed_orders)
        union all
        select coalesce(previous.customer_key, previous.anonymous_id) from {{ this }} as previous
        where previous.order_key in (select order_key from changed_orders)
        union all
        select journeys.profile_key from (
            select distinct coalesce(customer_key, anonymous_id) as profile_key from {{ this }}
            where not is_converted
        ) as journeys
        anti join {{ ref('int_attribution__steps') }} as steps using (profile_key)
        union all
        select coalesce(previous.customer_key, previous.anonymous_id) from {{ this }} as previous
        where
            previous.journey_status = 'open'
            and previous.journey_ended_at
            <= (select max(touchpoint_at) from {{ ref('fct_touchpoints') }}) - {{ attribution_lookback() }}
    )

    select distinct profile_key from profiles
    where profile_key is not null
{%- endmacro %}

{#- the touchpoint types that are no interaction of the customer in an order's journey (a list for `in`) -#}
{% macro journey_excluded_touchpoint_types() -%}
    {%- set excluded = var(
        'journey_excluded_touchpoint_types', ['message_send', 'message_delivery', 'message_bounce', 'message_unsubscribe']
    ) -%}
    '{{ excluded | join("', '") }}'
{%- endmacro %}

{#- the profiles whose order journeys (kpi_order_journeys) an incremental run recomputes: those with an
    interaction (a touchpoint of a type a journey holds) or an order written since the model last ran, and
    those a record left (a merge moves the records of one profile to another; a re-stitch may move some of
    a profile's records) -#}
{% macro order_journey_profiles_to_recompute() -%}
    with

    profiles as (
        select coalesce(touchpoints.customer_key, touchpoints.anonymous_id) as profile_key
        from {{ ref('fct_touchpoints') }} as touchpoints
        where
            {{ changed_since_last_run('touchpoints') }}
            -- a message sent or delivered is in no journey
            and touchpoints.touchpoint_type not in ({{ journey_excluded_touchpoint_types() }})
        union all
        select coalesce(orders.customer_key, orders.anonymous_id)
        from {{ ref('fct_orders') }} as orders
        where {{ changed_since_last_run('orders') }}
        union all
        {{ profiles_left_since_last_run() }}
    )

    select distinct profile_key from profiles
    where profile_key is not null
{%- endmacro %}
