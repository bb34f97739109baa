"""Checks that turn a pattern match into a real identifier (or not): checksums, numbering plans.

Each validator takes the matched text (normalised) and returns True when it is a plausible identifier.
Add one here and name it in a rule's `validator:`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECK = "10X98765432"


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        born = datetime.date(year, month, day)
    except ValueError:
        return False
    return datetime.date(1880, 1, 1) <= born <= datetime.date.today()


def gb11643(text: str) -> bool:
    """Chinese resident ID (GB 11643-1999): 18 characters, a real birth date, and the mod-11 check."""
    s = "".join(c for c in text if c.isdigit() or c in "Xx").upper()
    if len(s) != 18 or not s[:17].isdigit():
        return False
    if not _real_date(int(s[6:10]), int(s[10:12]), int(s[12:14])):
        return False
    total = sum(int(d) * w for d, w in zip(s[:17], _GB11643_WEIGHTS, strict=True))
    return _GB11643_CHECK[total % 11] == s[17]


def luhn(text: str) -> bool:
    """Luhn mod-10 (payment cards and many account numbers), 12-19 digits."""
    d = _digits(text)
    if not 12 <= len(d) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(d)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def cn_mobile(text: str) -> bool:
    """Mainland China mobile: 11 digits, 1[3-9]x, optionally with +86/0086; not all one repeated digit."""
    d = _digits(text)
    if d.startswith("0086"):
        d = d[4:]
    elif d.startswith("86") and len(d) == 13:
        d = d[2:]
    if len(d) != 11 or d[0] != "1" or d[1] not in "3456789":
        return False
    return len(set(d[3:])) > 1


def cn_landline(text: str) -> bool:
    """Mainland China landline: area code 0xx/0xxx and a 7-8 digit local number."""
    d = _digits(text)
    if d.startswith("0086"):
        d = "0" + d[4:]
    elif d.startswith("86") and len(d) >= 11:
        d = "0" + d[2:]
    if not d.startswith("0") or d.startswith("00"):
        return False
    return 10 <= len(d) <= 12 and d[-8:] != "00000000"


def nanp_phone(text: str) -> bool:
    """North American number: NPA and exchange start with 2-9, not N11, 10 digits (+1 optional)."""
    d = _digits(text)
    if len(d) == 11 and d[0] == "1":
        d = d[1:]
    if len(d) != 10:
        return False
    npa, nxx = d[:3], d[3:6]
    if npa[0] in "01" or nxx[0] in "01":
        return False
    if npa[1:] == "11" or nxx[1:] == "11":
        return False
    return len(set(d)) > 2


def uk_phone(text: str) -> bool:
    """UK number: 0 + 9-10 digits (or +44 without the 0), geographic 01/02/03 or mobile 07."""
    d = _digits(text)
    if d.startswith("44") and text.lstrip().startswith(("+", "00")):
        d = "0" + d[2:]
    elif d.startswith("0044"):
        d = "0" + d[4:]
    if not d.startswith("0") or len(d) not in (10, 11):
        return False
    if d.startswith("07"):
        return len(d) == 11 and d[2] != "0"
    return d[1] in "123" and len(set(d[1:])) > 1


def in_mobile(text: str) -> bool:
    """Indian mobile number: 10 digits starting 6-9, after an optional +91 / 0091 / 0 prefix."""
    d = _digits(text)
    if len(d) == 12 and d.startswith("91"):
        d = d[2:]
    elif len(d) == 14 and d.startswith("0091"):
        d = d[4:]
    elif len(d) == 11 and d.startswith("0"):
        d = d[1:]
    return len(d) == 10 and d[0] in "6789" and len(set(d)) > 2


def phone(text: str) -> bool:
    """Any phone number postguard knows: China mobile or landline, North American, UK, Indian mobile."""
    return cn_mobile(text) or nanp_phone(text) or uk_phone(text) or cn_landline(text) or in_mobile(text)


def age_90_plus(text: str) -> bool:
    """An age of 90 years or more (HIPAA Safe Harbor: ages over 89 must be aggregated)."""
    d = _digits(text)
    return bool(d) and 90 <= int(d[:3]) <= 125


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "gb11643": gb11643,
    "luhn": luhn,
    "cn_mobile": cn_mobile,
    "cn_landline": cn_landline,
    "nanp_phone": nanp_phone,
    "uk_phone": uk_phone,
    "in_mobile": in_mobile,
    "phone": phone,
    "age_90_plus": age_90_plus,
}
