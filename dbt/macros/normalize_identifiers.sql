{#- Identifier normalisation: the same person typed differently must give the same value. -#}

{#- E-mail: trimmed, lower case; Gmail ignores dots and +tags in the local part, so do we.
    Anything that is not one `local@domain.tld` is null. -#}
{% macro normalize_email(column) -%}
    case
        when not {{ regex_matches('lower(trim(' ~ column ~ '))', "'^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$'") }} then null
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
    {%- set digits = regex_replace_all(column, '[^0-9]', '') -%}
    case
        when {{ regex_full_match(digits, '[0-9]{13}') }}
         and (10 - (
                {%- for i in range(1, 13) %}
                cast(substr({{ digits }}, {{ i }}, 1) as integer) * {{ 3 if i % 2 == 0 else 1 }}{{ ' +' if not loop.last }}
                {%- endfor %}
            ) % 10) % 10
             = cast(substr({{ digits }}, 13, 1) as integer)
            then {{ digits }}
    end
{%- endmacro %}

{#- Why a non-blank e-mail has no normalised value (null when it has one): the reasons of the mart
    identifier_rejections. -#}
{% macro email_rejection_reason(column) -%}
    case
        when nullif(trim({{ column }}), '') is null then null
        when {{ regex_matches('lower(trim(' ~ column ~ '))', "'^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$'") }} then null
        when trim({{ column }}) not like '%@%' then 'missing_at_sign'
        when length(trim({{ column }})) - length(replace(trim({{ column }}), '@', '')) > 1 then 'several_at_signs'
        when {{ regex_matches('trim(' ~ column ~ ')', "'\\s'") }} then 'contains_whitespace'
        when trim({{ column }}) like '@%' then 'missing_local_part'
        else 'invalid_domain'
    end
{%- endmacro %}

{#- Why a non-blank loyalty card number has no normalised value (null when it has one). -#}
{% macro loyalty_card_rejection_reason(column) -%}
    case
        when nullif(trim({{ column }}), '') is null then null
        when not {{ regex_full_match(regex_replace_all(column, '[^0-9]', ''), '[0-9]{13}') }} then 'wrong_length'
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

{#- A person's name as compared by identity stitching: lower case, diacritics removed (ł, which has
    no decomposition, folded by hand), anything but letters, spaces and hyphens dropped, spaces
    collapsed; empty is null. "  Małgorzata " -> "malgorzata". -#}
{% macro normalize_person_name(column) -%}
    {%- set folded = remove_accents("replace(replace(lower(trim(" ~ column ~ ")), 'ł', 'l'), 'Ł', 'l')") -%}
    nullif(trim({{ regex_replace_all(regex_replace_all(folded, '[^a-z \\-]', ''), '\\s+', ' ') }}), '')
{%- endmacro %}

{#- A street address as probabilistic matching compares it: lower case, no diacritics, Polish street
    prefixes (ul., ulica, al., aleja, os., osiedle, pl., plac) dropped, "12 m. 3" / "12 lok. 3" written
    "12/3", only letters, digits, spaces and slashes kept. "UL. Kwiatowa 12 m. 3" -> "kwiatowa 12/3". -#}
{% macro normalize_street(column) -%}
    {%- set folded = remove_accents("replace(lower(trim(" ~ column ~ ")), 'ł', 'l')") -%}
    {%- set no_prefix = regex_replace_first(folded, '^(ul\\.?|ulica|al\\.?|aleja|os\\.?|osiedle|pl\\.?|plac)\\s+', '') -%}
    {%- set flats = regex_replace_all(no_prefix, '([0-9])\\s*(m\\.?|lok\\.?|/)\\s*([0-9])', '\\1/\\3') -%}
    nullif(trim({{ regex_replace_all(regex_replace_all(flats, '[^a-z0-9/ ]', ''), '\\s+', ' ') }}), '')
{%- endmacro %}

{#- A postal code as compared: letters and digits only, upper case ("00-950" -> "00950"). -#}
{% macro normalize_postal_code(column) -%}
    nullif(upper({{ regex_replace_all('coalesce(' ~ column ~ ", '')", '[^0-9A-Za-z]', '') }}), '')
{%- endmacro %}

{#- A last name as probabilistic matching compares it: normalize_person_name, with the feminine form of
    Polish adjectival surnames folded into the masculine (Kowalska -> kowalski, Zielińska -> zielinski,
    Nowicka -> nowicki). The two forms are one family's name; left apart, a wife's and a husband's names
    look like a typo of each other, and a real typo weighs nothing. Different people of one family are
    told apart by their first names. -#}
{% macro normalize_last_name(column) -%}
    {{ regex_replace_first(normalize_person_name(column), '(sk|ck|dzk)a$', '\\1i') }}
{%- endmacro %}
