{#- Every (customer, channel) row of an audience or marketing export has current consent for that
    channel and purpose in consent_current. Blocking: a failing audience is not published. -#}
{% test consented_contacts_only(model, customer_column='customer_key', channel_column='channel',
                                 purpose='marketing') %}
select audience.{{ customer_column }}, audience.{{ channel_column }}
from {{ model }} as audience
left join {{ ref('consent_current') }} as consent
    on consent.customer_key = audience.{{ customer_column }}
    and consent.channel = audience.{{ channel_column }}
    and consent.purpose = '{{ purpose }}'
where audience.{{ channel_column }} is not null
  and not coalesce(consent.is_granted, false)
{% endtest %}
