{#- Identifier normalisation: the same person typed differently must give the same value. -#}

{#- E-mail: trimmed, lower case; Gmail ignores dots and +tags in the local part, so do we.
    Anything that is not one `local@domain.tld` is null. -#}
{% macro normalize_email(column) -%}
    case
        when not regexp_matches(lower(trim({{ column }})), '^[^@\s]+@[^@\s]+\.[a-z]{2,}$') then null
        when split_part(lower(trim({{ column }})), '@', 2) in ('gmail.com', 'googlemail.com')
            then replace(split_part(split_part(lower(trim({{ column }})), '@', 1), '+', 1), '.', '') || '@gmail.com'
        else lower(trim({{ column }}))
    end
{%- endmacro %}

{#- Phone: E.164 with +48 as the default country. Accepts `+48 601 234 567`, `601-234-567`,
    `0048601234567`, `601234567`, `(+48) 601 234 567`; anything else is null. -#}
{% macro normalize_phone(column) -%}
    case
        when regexp_replace({{ column }}, '[^0-9]', '', 'g') similar to '[1-9][0-9]{8}'
            then '+48' || regexp_replace({{ column }}, '[^0-9]', '', 'g')
        when regexp_replace({{ column }}, '[^0-9]', '', 'g') similar to '48[1-9][0-9]{8}'
            then '+' || regexp_replace({{ column }}, '[^0-9]', '', 'g')
        when regexp_replace({{ column }}, '[^0-9]', '', 'g') similar to '0048[1-9][0-9]{8}'
            then '+' || substr(regexp_replace({{ column }}, '[^0-9]', '', 'g'), 3)
    end
{%- endmacro %}

{#- Loyalty card: 13 digits whose last is the EAN-13 check digit of the first twelve; else null. -#}
{% macro normalize_loyalty_card(column) -%}
    case
        when regexp_replace({{ column }}, '[^0-9]', '', 'g') similar to '[0-9]{13}'
         and (10 - list_sum([
                cast(substr(regexp_replace({{ column }}, '[^0-9]', '', 'g'), i, 1) as integer)
                * case when i % 2 = 0 then 3 else 1 end
                for i in range(1, 13)]) % 10) % 10
             = cast(substr(regexp_replace({{ column }}, '[^0-9]', '', 'g'), 13, 1) as integer)
            then regexp_replace({{ column }}, '[^0-9]', '', 'g')
    end
{%- endmacro %}

{#- A normalised value that only stands in for a missing one (seed placeholder_identifiers, and
    phones of one repeated digit). -#}
{% macro is_placeholder_email(normalized_column) -%}
    coalesce({{ normalized_column }} in (
        select value from {{ ref('placeholder_identifiers') }} where identifier_type = 'email'
    ), false)
{%- endmacro %}

{% macro is_placeholder_phone(normalized_column) -%}
    coalesce(
        {{ normalized_column }} in (
            select value from {{ ref('placeholder_identifiers') }} where identifier_type = 'phone'
        )
        or length(replace(substr({{ normalized_column }}, 4), substr({{ normalized_column }}, 4, 1), '')) = 0,
        false)
{%- endmacro %}

{#- Device and cookie ids: opaque tokens compared as written, apart from case and stray whitespace;
    an empty value is null. -#}
{% macro normalize_token(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}
