"""World sizes, the fixed calendar and the behavioural rates of the demo world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The period always ends on this day; it starts `days - 1` days earlier.
END_DATE = date(2026, 10, 31)

SHOP_NAME = "Bursztyn"
SHOP_HOST = "www.bursztyn-demo.pl"
APP_SCHEME = "bursztyn://"


@dataclass(frozen=True)
class SizeSpec:
    name: str
    persons: int
    days: int
    stores: int
    products: int
    lockers_per_city: int
    corrupt_per_kind: int  # planted corrupt rows per kind and source
    pos_resends: int  # POS files delivered twice
    price_inconsistencies: int
    stock_mismatches: int
    consent_violations: int
    duplicate_personal_coupons: int


SIZES: dict[str, SizeSpec] = {
    "xs": SizeSpec("xs", 300, 90, 4, 60, 2, 1, 2, 4, 4, 3, 2),
    "s": SizeSpec("s", 20_000, 180, 16, 600, 4, 2, 4, 12, 12, 6, 5),
    "m": SizeSpec("m", 200_000, 365, 40, 1500, 8, 3, 6, 30, 30, 10, 10),
    "l": SizeSpec("l", 1_000_000, 365, 80, 3000, 12, 3, 8, 60, 60, 15, 20),
}

# ---- people ---------------------------------------------------------------------------------
P_ANONYMOUS = 0.08  # never identify themselves: anonymous cookies, walk-ins without card or phone
P_WEB = 0.78  # of the others: browse the web shop
P_ACCOUNT = 0.70  # of web users: have a web shop account
P_ACCOUNT_PRE = 0.65  # of accounts: created before the period
P_SECOND_ACCOUNT = 0.03  # of account holders: a second account with the second e-mail
P_APP = 0.38  # of account holders: use the app
P_STORE = 0.72  # shop in stores (others only online)
P_MEMBER = 0.55  # of store shoppers: loyalty member
P_MEMBER_PRE = 0.6  # of members: enrolled before the period
P_EMAIL2 = 0.12  # have a second e-mail address
P_PHONE_NONE = 0.08
P_PHONE_CHANGE = 0.05
P_SHARED_PHONE_HH = 0.45  # households of 2+ sharing one family phone
P_SECOND_DEVICE = 0.25  # app users who change phone (new device id) during the period

# ---- activity rates (per person-year, before the value multiplier) ----------------------------
RATE_WALK_IN = 2.6
RATE_WEB_PURCHASE = 1.0
RATE_CLICK_COLLECT = 0.45
RATE_AD_ABANDON = 0.55
RATE_APP_STORE = 0.9
RATE_GOLDEN = 0.18
RATE_BROWSE_WEB = 4.5
RATE_BROWSE_APP = 5.0
RATE_BROWSE_ANON = 3.0  # anonymous cookies of people who never log in
RATE_AD_BOUNCE = 0.8
RATE_GENERAL_TICKET = 0.03

# ---- marketing --------------------------------------------------------------------------------
NEWSLETTER_AUDIENCE = 0.45
SMS_AUDIENCE = 0.35
PUSH_AUDIENCE = 0.5
EMAIL_BOUNCE = 0.015
EMAIL_OPEN = 0.24
EMAIL_CLICK_GIVEN_OPEN = 0.14
EMAIL_UNSUB_GIVEN_OPEN = 0.012
SMS_BOUNCE = 0.01
SMS_CLICK = 0.035
SMS_UNSUB = 0.003
PUSH_OPEN = 0.07
CLICK_CONVERSION = 0.07
CLICK_CONVERSION_COUPON = 0.12
CLICK_STORE_CONVERSION = 0.03

# ---- data quality ----------------------------------------------------------------------------
P_LATE_APP_EVENT = 0.07
P_LATE_WEB_EVENT = 0.01
P_POS_PLACEHOLDER_PHONE = 0.03  # of POS receipts without card
P_MEMBER_PLACEHOLDER_EMAIL = 0.03
P_MEMBER_PLACEHOLDER_PHONE = 0.02
P_TICKET_PLACEHOLDER_EMAIL = 0.02
P_EMAIL_VARIANT = 0.25  # typed e-mails that are not in the canonical form
