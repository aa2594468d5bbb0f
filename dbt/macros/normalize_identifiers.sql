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

{#- Phone: E.164, by libphonenumber, in the Python model stg_identifiers__phone_numbers (one row per raw
    text: E.164 or a rejection reason). A staging model left joins it on the raw text:
        left join {{ ref('stg_identifiers__phone_numbers') }} as phone_numbers
            on phone_numbers.phone_raw = source.phone
    and takes `phone_numbers.phone_e164` as phone_normalized. -#}

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

{#- Why a non-blank e-mail has no normalised value (null when it has one): the reasons of the mart
    identifier_rejections. -#}
{% macro email_rejection_reason(column) -%}
    case
        when nullif(trim({{ column }}), '') is null then null
        when regexp_matches(lower(trim({{ column }})), '^[^@\s]+@[^@\s]+\.[a-z]{2,}$') then null
        when not contains(trim({{ column }}), '@') then 'missing_at_sign'
        when length(trim({{ column }})) - length(replace(trim({{ column }}), '@', '')) > 1 then 'several_at_signs'
        when regexp_matches(trim({{ column }}), '\s') then 'contains_whitespace'
        when starts_with(trim({{ column }}), '@') then 'missing_local_part'
        else 'invalid_domain'
    end
{%- endmacro %}

{#- Why a non-blank loyalty card number has no normalised value (null when it has one). -#}
{% macro loyalty_card_rejection_reason(column) -%}
    case
        when nullif(trim({{ column }}), '') is null then null
        when regexp_replace({{ column }}, '[^0-9]', '', 'g') not similar to '[0-9]{13}' then 'wrong_length'
        when {{ normalize_loyalty_card(column) }} is null then 'bad_check_digit'
    end
{%- endmacro %}

{#- A normalised value that only stands in for a missing one (seed placeholder_identifiers, and
    phones of one repeated digit). -#}
{% macro is_placeholder_email(normalized_column) -%}
    coalesce({{ normalized_column }} in (
        select value from {{ ref('placeholder_identifiers') }} where identifier_type = 'email'
    ), false)
{%- endmacro %}

{#- Seed phones and national numbers of one repeated digit, as stg_identifiers__phone_numbers flags them
    (it knows where the country code ends). -#}
{% macro is_placeholder_phone(normalized_column) -%}
    coalesce({{ normalized_column }} in (
        select phone_e164 from {{ ref('stg_identifiers__phone_numbers') }} where phone_is_placeholder
    ), false)
{%- endmacro %}

{#- Device and cookie ids: opaque tokens compared as written, apart from case and stray whitespace;
    an empty value is null. -#}
{% macro normalize_token(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}
