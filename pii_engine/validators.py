"""Checksum and number-plan validators for structured identifiers (pure functions on digit strings)."""

from __future__ import annotations

# ISO 13616 IBAN lengths per country (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BI": 27,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DJ": 27,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FK": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "LY": 25,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MN": 20,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NI": 28,
    "NL": 18,
    "NO": 15,
    "OM": 23,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "RU": 33,
    "SA": 24,
    "SC": 31,
    "SD": 18,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "SO": 23,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
    "YE": 30,
}


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) checksum over a string of ASCII digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_issuer_ok(digits: str) -> bool:
    """True when the PAN prefix and length match a known card network (Visa, Mastercard, Amex, ...)."""
    n = len(digits)
    p2, p3, p4, p6 = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16  # Mastercard
    if p2 in (34, 37):
        return n == 15  # American Express
    if p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 622126 <= p6 <= 622925:
        return 16 <= n <= 19  # Discover
    if 300 <= p3 <= 305 or p2 in (36, 38, 39) or p4 == 3095:
        return 14 <= n <= 19  # Diners Club
    if 3528 <= p4 <= 3589 or p2 == 35:
        return 16 <= n <= 19  # JCB (35xx; 3528-3589 are the assigned ranges, 3500-3527 is accepted as JCB-like)
    if p4 in (2131, 1800):
        return n == 15  # legacy JCB
    if p2 == 62 or p2 == 81:
        return 16 <= n <= 19  # UnionPay
    if p2 in (50, 56, 57, 58, 60, 63, 67) or p4 == 604:
        return 12 <= n <= 19  # Maestro (incl. legacy 0604)
    return False


def card_ok(digits: str) -> bool:
    """Length 13-19, not a repeated digit, known issuer, valid Luhn."""
    return 12 <= len(digits) <= 19 and len(set(digits)) > 1 and card_issuer_ok(digits) and luhn_ok(digits)


def iban_ok(compact: str) -> bool:
    """IBAN without spaces: known country, that country's length, ISO 7064 mod-97 == 1."""
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
    except ValueError:
        return False


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """SSA rules: area not 000/666/9xx, group not 00, serial not 0000, not one repeated digit."""
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return len(set(area + group + serial)) > 1


def itin_ok(area: str, group: str, serial: str) -> bool:
    """IRS ITIN: 9xx-GG-xxxx with group 50-65, 70-88, 90-92 or 94-99."""
    g = int(group)
    return area[0] == "9" and (50 <= g <= 65 or 70 <= g <= 88 or 90 <= g <= 92 or 94 <= g <= 99)


def aba_ok(digits: str) -> bool:
    """ABA routing number: 9 digits, valid Federal Reserve prefix, 3-7-1 weighted checksum."""
    if len(digits) != 9 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    prefix = int(digits[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    d = [int(c) for c in digits]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def _ip_version(text: str) -> int | None:
    """4 or 6 if ``text`` is an IP address (:func:`ipaddress.ip_address`), else None."""
    import ipaddress  # lazy: most records contain no IP candidate

    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return None


def ipv4_ok(text: str) -> bool:
    """Dotted-quad IPv4 (no leading zeros), via :mod:`ipaddress`."""
    return _ip_version(text) == 4


def ipv6_ok(text: str) -> bool:
    """IPv6 address (optionally with an embedded IPv4 tail), via :mod:`ipaddress`."""
    return _ip_version(text) == 6
