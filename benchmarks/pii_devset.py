"""Labelled development set for the PII engine, and its evaluation.

Records are generated with Faker (en_US, en_GB, de_DE, fr_FR, en_IN, es_ES) from sentence templates
(clinical notes, chat, emails, support tickets, JSON-ish fields, key=value logs) with gold spans, plus PII-free
hard negatives (code, logs, changelogs, versions, numeric tables, hashes, UUIDs, timestamps, ids).
Everything is derived from one seed, so a run is reproducible.

Metrics (per entity type):
  * precision / recall / F1 with overlap matching: a gold span is found when a predicted span of the same
    type overlaps it; a predicted span is correct when it overlaps a gold span of the same type;
  * "full": share of gold spans whose every character is covered by some predicted span (any type), i.e.
    the text would be fully redacted;
  * false positives per type on the hard negatives;
  * PERSON recall split by gazetteer membership (names whose first and last name are both absent from the
    shipped census lists are found by context only).

Usage: python benchmarks/pii_devset.py [--records N] [--negatives N] [--seed S] [--show-errors TYPE]
"""

from __future__ import annotations

import argparse
import random
import re
import string
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faker import Faker

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "en_IN", "es_ES")
IBAN_LOCALES = ("de_DE", "fr_FR", "es_ES", "en_GB", "nl_NL", "it_IT")


@dataclass
class Record:
    """One labelled text; ``gold`` holds (type, start, end) triples."""

    text: str
    gold: list[tuple[str, int, int]] = field(default_factory=list)
    locale: str = "en_US"
    template: str = ""


# ------------------------------------------------------------------------------------------------ values

MONTHS = {
    "de_DE": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "fr_FR": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "es_ES": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}


class Values:
    """Per-record value factory bound to one Faker locale and a shared RNG."""

    def __init__(self, fake: Faker, rng: random.Random, locale: str, pool: dict[str, Faker]) -> None:
        self.f, self.r, self.locale, self.pool = fake, rng, locale, pool

    def name(self) -> str:
        return f"{self.f.first_name()} {self.f.last_name()}"

    def phone(self) -> str:
        while True:
            p = self.f.phone_number()
            if not p.startswith("000") and not p.startswith("+000"):
                return p

    def card(self) -> str:
        c = self.f.credit_card_number()
        if self.r.random() < 0.4 and len(c) == 16:
            sep = self.r.choice(" -")
            return sep.join(c[i : i + 4] for i in range(0, 16, 4))
        return c

    def iban(self) -> str:
        i = self.pool[self.r.choice(IBAN_LOCALES)].iban()
        return " ".join(i[k : k + 4] for k in range(0, len(i), 4)) if self.r.random() < 0.4 else i

    def date(self) -> str:
        d = self.f.date_between(start_date=date(1930, 1, 1), end_date=date(2024, 12, 31))
        if self.locale in MONTHS and self.r.random() < 0.5:
            month = MONTHS[self.locale][d.month - 1]
            return {
                "de_DE": f"{d.day}. {month} {d.year}",
                "fr_FR": f"{d.day} {month} {d.year}",
                "es_ES": f"{d.day} de {month} de {d.year}",
            }[self.locale]
        fmt = self.r.choice(
            [
                "%m/%d/%Y",
                "%Y-%m-%d",
                "%d.%m.%Y",
                "%B %d, %Y",
                "%d %B %Y",
                "%d/%m/%Y",
                "%b %d, %Y",
            ]
        )
        return d.strftime(fmt)

    def datetime(self) -> str:
        dt = self.f.date_time_between(start_date=datetime(2019, 1, 1), end_date=datetime(2025, 12, 31))
        return self.r.choice(
            [
                dt.strftime("%Y-%m-%d %H:%M"),
                dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                dt.strftime("%m/%d/%Y %I:%M %p"),
            ]
        )

    def dl(self) -> str:
        r = self.r
        return r.choice(
            [
                lambda: r.choice(string.ascii_uppercase) + "".join(r.choices(string.digits, k=7)),
                lambda: "".join(r.choices(string.digits, k=9)),
                lambda: (
                    r.choice(string.ascii_uppercase)
                    + "".join(r.choices(string.digits, k=3))
                    + "-"
                    + "".join(r.choices(string.digits, k=4))
                    + "-"
                    + "".join(r.choices(string.digits, k=4))
                ),
                lambda: r.choice(string.ascii_uppercase) + "".join(r.choices(string.digits, k=12)),
            ]
        )()

    def passport(self) -> str:
        return self.r.choice(
            [
                self.f.passport_number,
                lambda: "".join(self.r.choices(string.digits, k=9)),
            ]
        )()

    def bank(self) -> str:
        return "".join(self.r.choices(string.digits, k=self.r.randint(8, 17)))

    def mrn(self) -> str:
        digits = "".join(self.r.choices(string.digits, k=self.r.randint(6, 10)))
        return self.r.choice([digits, f"MR{digits}", f"MRN-{digits}", f"{digits[:3]}-{digits[3:]}"])

    def akid(self) -> str:
        return self.r.choice(["AKIA", "ASIA"]) + "".join(self.r.choices(string.ascii_uppercase + "234567", k=16))

    def secret(self) -> str:
        return "".join(self.r.choices(string.ascii_letters + string.digits + "/+", k=40))

    def age(self) -> str:
        return str(self.r.randint(1, 99))

    def country(self) -> str:
        return self.pool["en_US"].country() if self.r.random() < 0.5 else self.f.country()

    def state(self) -> str:
        return self.f.state() if self.locale in ("en_US", "en_IN", "de_DE") else self.f.city()

    def address(self) -> str:
        """Composite address template (sub-slots carry their own gold types)."""
        return {
            "en_US": "{STREET}\n{CITY}, {STATE_ABBR} {ZIP}",
            "en_GB": "{STREET}\n{CITY}\n{ZIP}",
            "de_DE": "{STREET}, {ZIP} {CITY}",
            "fr_FR": "{STREET}, {ZIP} {CITY}",
            "es_ES": "{STREET}, {CITY}, {ZIP}",
            "en_IN": "{STREET}, {CITY} {ZIP}",
        }[self.locale]


SLOTS: dict[str, tuple[str | None, Callable[[Values], str]]] = {
    "NAME": ("PERSON", Values.name),
    "FIRST": ("PERSON", lambda v: v.f.first_name()),
    "LAST": ("PERSON", lambda v: v.f.last_name()),
    "EMAIL": ("EMAIL_ADDRESS", lambda v: v.f.email()),
    "PHONE": ("PHONE_NUMBER", Values.phone),
    "CARD": ("CREDIT_CARD", Values.card),
    "SSN": ("US_SSN", lambda v: v.pool["en_US"].ssn()),
    "ITIN": ("US_ITIN", lambda v: v.pool["en_US"].itin()),
    "IBAN": ("IBAN_CODE", Values.iban),
    "IPV4": ("IP_ADDRESS", lambda v: v.f.ipv4_public()),
    "IPV6": ("IP_ADDRESS", lambda v: v.f.ipv6()),
    "MAC": ("MAC_ADDRESS", lambda v: v.f.mac_address()),
    "URL": ("URL", lambda v: v.r.choice([v.f.url, v.f.uri])()),
    "DATE": ("DATE_TIME", Values.date),
    "DATETIME": ("DATE_TIME", Values.datetime),
    "DL": ("US_DRIVER_LICENSE", Values.dl),
    "PASSPORT": ("US_PASSPORT", Values.passport),
    "BANK": ("US_BANK_NUMBER", Values.bank),
    "ABA": ("ABA_ROUTING_NUMBER", lambda v: v.pool["en_US"].aba()),
    "MRN": ("MEDICAL_RECORD_NUMBER", Values.mrn),
    "AKID": ("AWS_ACCESS_KEY", Values.akid),
    "SECRET": ("AWS_SECRET_KEY", Values.secret),
    "STREET": ("STREET_ADDRESS", lambda v: v.f.street_address().strip()),
    "CITY": ("LOCATION", lambda v: v.f.city()),
    "COUNTRY": ("LOCATION", Values.country),
    "STATE": ("LOCATION", Values.state),
    "STATE_ABBR": ("LOCATION", lambda v: v.pool["en_US"].state_abbr()),
    "ZIP": ("ZIP_CODE", lambda v: v.f.postcode()),
    "AGE": ("AGE", Values.age),
    # not PII: numbers that must not be detected
    "TICKET": (None, lambda v: str(v.r.randint(10_000, 9_999_999))),
    "ORDER": (
        None,
        lambda v: f"ORD-{v.r.randint(2019, 2025)}-{v.r.randint(0, 999_999):06d}",
    ),
    "VERSION": (
        None,
        lambda v: f"{v.r.randint(0, 12)}.{v.r.randint(0, 40)}.{v.r.randint(0, 200)}",
    ),
    "AMOUNT": (None, lambda v: f"{v.r.randint(1, 99_999)}.{v.r.randint(0, 99):02d}"),
}
COMPOSITE: dict[str, Callable[[Values], str]] = {"ADDRESS": Values.address}

CUE_FREE = (
    "Yesterday {NAME} picked up the prescription and paid {AMOUNT}.",
    "The results were shared with the team, {NAME} will review them on {DATE}.",
    "{NAME} missed the appointment again.",
)
# (locales or None for any, template)
TEMPLATES: list[tuple[tuple[str, ...] | None, str]] = [
    # clinical notes
    (
        None,
        "Patient: {NAME}, DOB {DATE}, MRN {MRN}. {AGE}-year-old presenting with chest pain.",
    ),
    (None, "Pt {NAME} ({AGE} y/o) seen by Dr. {LAST} on {DATE}. Contact: {PHONE}."),
    (
        None,
        "Discharge summary for {NAME}, medical record number {MRN}. Address: {ADDRESS}. Follow-up on {DATE}.",
    ),
    (
        None,
        "{NAME} is a {AGE} year old admitted {DATETIME}. Emergency contact: {NAME}, phone {PHONE}.",
    ),
    (
        None,
        "Referred by Dr. {NAME}. Patient lives in {CITY} and was transferred on {DATE}.",
    ),
    (
        ("en_US",),
        "Chart #{MRN}: patient reports dizziness since {DATE}. SSN {SSN} on file, BP 120/80, HR 72.",
    ),
    (
        None,
        "Nursing note {DATETIME}: {NAME} (age {AGE}) ambulating, vitals stable. Daughter {FIRST} at bedside.",
    ),
    (
        None,
        "Lab results for {NAME} (MRN: {MRN}) reviewed with patient; next visit {DATE}.",
    ),
    # chat messages
    (None, "hey its {FIRST}, my number is {PHONE} text me"),
    (None, "my name is {NAME} and i live at {STREET}, {CITY}"),
    (None, "can you send it to {EMAIL}? thx"),
    (None, "I'm {NAME} from {CITY}, {COUNTRY} :)"),
    (None, "lol {FIRST} just moved to {CITY} last week"),
    (None, "ok call me on {PHONE} after 5, ask for {FIRST}"),
    # emails
    (
        None,
        "Dear {NAME},\n\nYour appointment is confirmed for {DATE}. Please call {PHONE} if you need to reschedule.\n\nBest regards,\n{NAME}\n{EMAIL}",
    ),
    (
        None,
        "Hi {FIRST},\nPlease wire the refund to IBAN {IBAN} (account holder {NAME}).\nThanks,\n{FIRST}",
    ),
    (
        None,
        "From: {NAME} <{EMAIL}>\nSubject: Address change\n\nMy new address is {ADDRESS}.",
    ),
    (None, "Send the signed form to {NAME} at {EMAIL} or fax {PHONE} by {DATE}."),
    # support tickets
    (
        None,
        "Ticket #{TICKET}: customer {NAME} ({EMAIL}) reports card {CARD} was charged {AMOUNT} twice on {DATE}.",
    ),
    (None, "Order {ORDER} for {NAME}: ship to {ADDRESS}. Phone {PHONE}."),
    (
        None,
        "User {NAME} login from {IPV4} at {DATETIME} failed (device {MAC}, client v{VERSION}).",
    ),
    (None, "Security: leaked key {AKID} with secret {SECRET} in {URL}"),
    (
        ("en_US",),
        "Customer provided routing number {ABA} and account number {BANK} for direct deposit of {AMOUNT}.",
    ),
    (None, "Please verify passport {PASSPORT} and driver's license {DL} for {NAME}."),
    (("en_US",), "ITIN {ITIN} belongs to {NAME}; mail forms to {ADDRESS}."),
    (None, "Client visited from {IPV6}; referrer {URL}; build {VERSION}."),
    (None, "Mr. {LAST} called from {PHONE} about invoice {TICKET}."),
    (None, "Born {DATE} in {CITY}, {COUNTRY}."),
    (None, "{AGE}yo c/o headache x3 days. Hx per {FIRST} (wife)."),
    (None, "Shipping label: {NAME}\n{ADDRESS}"),
    (None, "Meeting with {NAME} and {NAME} at {STREET} on {DATE}."),
    (None, "{NAME} ({EMAIL}) commented on PR #{TICKET}: lgtm, merging for v{VERSION}"),
    # JSON-ish fields / key=value
    (
        None,
        '{{"name": "{NAME}", "email": "{EMAIL}", "phone": "{PHONE}", "dob": "{DATE}"}}',
    ),
    (None, '{{"patient": "{NAME}", "mrn": "{MRN}", "age": {AGE}, "city": "{CITY}"}}'),
    (
        None,
        '{{"passport_number": "{PASSPORT}", "driver_license": "{DL}", "ssn": "{SSN}", "order": "{ORDER}"}}',
    ),
    (
        None,
        '{{"address": "{STREET}", "zip": "{ZIP}", "country": "{COUNTRY}", "amount": {AMOUNT}}}',
    ),
    (None, "name={NAME}; card={CARD}; ip={IPV4}; ts={DATETIME}"),
    (
        ("en_US",),
        '{{"bank_account": "{BANK}", "routing": "{ABA}", "holder": "{NAME}"}}',
    ),
    # no cue word next to the name (gazetteer-only; names outside the census lists are expected misses)
    *((None, t) for t in CUE_FREE),
    # locale-specific prose
    (
        ("de_DE",),
        "Sehr geehrte/r {NAME}, Ihr Termin ist am {DATE}. Adresse: {ADDRESS}. Tel.: {PHONE}",
    ),
    (
        ("fr_FR",),
        "Bonjour {NAME}, votre rendez-vous est le {DATE}. Adresse : {ADDRESS}. Tél : {PHONE}",
    ),
    (
        ("es_ES",),
        "Hola {NAME}, su cita es el {DATE}. Dirección: {ADDRESS}. Teléfono: {PHONE}",
    ),
    (
        ("en_IN",),
        "Dear {NAME}, your KYC is pending. Registered address: {ADDRESS}. Mobile: {PHONE}",
    ),
    (
        ("en_GB",),
        "Hiya {FIRST}, the parcel for {NAME} goes to {ADDRESS}; ring {PHONE} if no answer.",
    ),
]
_SLOT_RE = re.compile(r"\{\{|\}\}|\{(\w+)\}")


def _render(template: str, v: Values, rec: Record) -> None:
    """Append ``template`` to ``rec.text``, filling slots and recording gold spans."""
    pos = 0
    for m in _SLOT_RE.finditer(template):
        rec.text += template[pos : m.start()]
        pos = m.end()
        if m.group(1) is None:
            rec.text += m.group()[0]
        elif m.group(1) in COMPOSITE:
            _render(COMPOSITE[m.group(1)](v), v, rec)
        else:
            etype, make = SLOTS[m.group(1)]
            value = make(v)
            start = len(rec.text)
            rec.text += value
            if etype:
                rec.gold.append((etype, start, start + len(value)))
    rec.text += template[pos:]


def generate(n: int, seed: int = 1234) -> list[Record]:
    """``n`` labelled records, reproducible from ``seed``."""
    rng = random.Random(seed)
    fakes = {loc: Faker(loc) for loc in sorted({*LOCALES, *IBAN_LOCALES})}
    for i, fk in enumerate(fakes.values()):
        fk.seed_instance(seed + i)
    records = []
    for _ in range(n):
        locale = rng.choice(LOCALES)
        choices = [t for locs, t in TEMPLATES if locs is None or locale in locs]
        template = rng.choice(choices)
        rec = Record("", [], locale, template)
        _render(template, Values(fakes[locale], rng, locale, fakes), rec)
        records.append(rec)
    return records


# ------------------------------------------------------------------------------------------------ hard negatives


def _hex(r: random.Random, k: int) -> str:
    return "".join(r.choices("0123456789abcdef", k=k))


def hard_negatives(n: int, seed: int = 4321) -> list[str]:
    """``n`` PII-free texts that look numeric/structured (code, logs, tables, versions, hashes, ids)."""
    r = random.Random(seed)

    def num(lo: int, hi: int) -> int:
        return r.randint(lo, hi)

    def ver() -> str:
        return f"{num(0, 12)}.{num(0, 40)}.{num(0, 300)}"

    def ts() -> str:
        return f"2024-{num(1, 12):02d}-{num(1, 28):02d}T{num(0, 23):02d}:{num(0, 59):02d}:{num(0, 59):02d}.{num(0, 999):03d}Z"

    def uuid() -> str:
        h = _hex(r, 32)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def table() -> str:
        rows = ["| id | qty | unit_price | total | sku |", "|---|---|---|---|---|"]
        for _ in range(num(2, 5)):
            q, p = num(1, 500), num(100, 99999) / 100
            rows.append(f"| {num(10000, 9999999)} | {q} | {p:.2f} | {q * p:.2f} | {num(100000000, 9999999999)} |")
        return "\n".join(rows)

    def matrix() -> str:
        return "\n".join(" ".join(str(num(0, 99999)) for _ in range(num(4, 8))) for _ in range(num(2, 4)))

    def csv() -> str:
        return "\n".join(
            ",".join(
                [
                    str(num(1, 10**10)),
                    f"{r.random():.4f}",
                    str(num(0, 999)),
                    str(num(10**8, 10**12)),
                ]
            )
            for _ in range(3)
        )

    shapes: list[Callable[[], str]] = [
        lambda: (
            f"{ts()} INFO worker-{num(1, 16)} processed {num(1, 99999)} records in {num(1, 9999)} ms (batch {num(10**6, 10**8)})"
        ),
        lambda: (
            f"{ts()} ERROR [main] java.lang.NullPointerException at com.example.order.Service.handle(Service.java:{num(10, 999)})"
        ),
        lambda: (
            f"## [{ver()}] - 2024-{num(1, 12):02d}-{num(1, 28):02d}\n### Fixed\n- Retry on HTTP {r.choice([429, 500, 502, 503])} (#{num(100, 9999)})\n- Bump numpy to {ver()}"
        ),
        lambda: f"Released v{ver()} (build {num(10**7, 10**9)}), commit {_hex(r, 7)}, see PR #{num(100, 99999)}",
        lambda: (
            f"commit {_hex(r, 40)}\nMerge: {_hex(r, 7)} {_hex(r, 7)}\n\n    Refactor parser; closes #{num(10, 9999)}"
        ),
        lambda: f"sha256:{_hex(r, 64)}  dist/pkg-{ver()}.tar.gz\nmd5 {_hex(r, 32)}",
        lambda: f"request_id={uuid()} trace={_hex(r, 32)} span={_hex(r, 16)} status=200 latency_ms={num(1, 5000)}",
        lambda: (
            f"ts={num(1_600_000_000, 1_800_000_000)} epoch_ms={num(1_600_000_000_000, 1_800_000_000_000)} seq={num(0, 10**9)} offset={num(0, 10**12)}"
        ),
        table,
        matrix,
        csv,
        lambda: (
            f"Order #{num(10**8, 10**10)} shipped: {num(1, 20)} items, total {num(10, 9999)}.{num(0, 99):02d} EUR, tracking 1Z{_hex(r, 16).upper()}"
        ),
        lambda: (
            f"def checksum(xs):\n    h = {num(10**6, 10**9)}\n    for x in xs:\n        h = (h * {num(10**5, 10**7)} + x) % {num(10**8, 10**10)}\n    return h"
        ),
        lambda: (
            f"for (int i = 0; i < {num(2, 4096)}; ++i) {{ buf[i] = (uint8_t)(i * {num(3, 255)} ^ 0x{_hex(r, 4)}); }}"
        ),
        lambda: (
            f"Python {num(3, 3)}.{num(8, 13)}.{num(0, 12)}, numpy=={ver()}, torch=={ver()}+cu{num(110, 124)}, Windows 10.0.{num(10000, 22631)}.{num(100, 4000)}"
        ),
        lambda: (
            f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/{num(90, 125)}.0.{num(1000, 6999)}.{num(10, 300)} Safari/537.36"
        ),
        lambda: (
            f"pod/api-{_hex(r, 10)}-{_hex(r, 5)} restarted {num(1, 9)} times; memory {num(64, 4096)}Mi cpu {num(50, 4000)}m; port {num(1024, 65535)}"
        ),
        lambda: (
            f"ISBN 978-{num(0, 9)}-{num(10, 99)}-{num(100000, 999999)}-{num(0, 9)}; DOI 10.{num(1000, 9999)}/{num(100000, 999999)}"
        ),
        lambda: (
            f"Throughput rose {num(1, 99)}.{num(0, 9)}% to {num(1000, 99999)} req/s; p99 {num(1, 999)} ms; {num(10**6, 10**9)} bytes in {num(1, 600)} s"
        ),
        lambda: (
            f"The Build Pipeline Uses New Caching For Docker Layers. Release Notes And Getting Started Guide updated for {ver()}."
        ),
        lambda: (
            f"Amazon Web Services, Visual Studio Code and Google Chrome run on Ubuntu {num(18, 24)}.04 LTS with {num(2, 128)} GB RAM."
        ),
        lambda: (
            f'token = "{"".join(r.choices(string.ascii_letters + string.digits, k=num(50, 120)))}"  # base64 test fixture'
        ),
        lambda: (
            f"SELECT id, total FROM orders WHERE id BETWEEN {num(1, 10**6)} AND {num(10**6, 10**9)} LIMIT {num(10, 1000)};"
        ),
        lambda: (
            f"Step {num(1, 10000)}/{num(10000, 50000)} loss={r.random():.4f} lr={r.random() / 1000:.2e} grad_norm={r.random() * 10:.3f} tokens/s={num(1000, 99999)}"
        ),
        lambda: (
            f"coords {r.uniform(-90, 90):.6f}, {r.uniform(-180, 180):.6f}; elevation {num(0, 8000)} m; temp {r.uniform(-20, 45):.1f} C"
        ),
        lambda: (
            f"Invoice INV-{num(10**5, 10**7)} due in {num(7, 90)} days; PO {num(10**6, 10**9)}; cost center {num(1000, 9999)}-{num(100, 999)}"
        ),
    ]
    return [r.choice(shapes)() for _ in range(n)]


# ------------------------------------------------------------------------------------------------ evaluation


@dataclass
class Report:
    """Per-type counts collected by :func:`evaluate`."""

    tp_gold: Counter = field(default_factory=Counter)
    n_gold: Counter = field(default_factory=Counter)
    tp_pred: Counter = field(default_factory=Counter)
    n_pred: Counter = field(default_factory=Counter)
    full: Counter = field(default_factory=Counter)
    neg_fp: Counter = field(default_factory=Counter)
    n_neg: int = 0
    person_split: Counter = field(default_factory=Counter)
    misses: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    false_pos: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def prf(self, etype: str) -> tuple[float, float, float]:
        p = self.tp_pred[etype] / self.n_pred[etype] if self.n_pred[etype] else 1.0
        rc = self.tp_gold[etype] / self.n_gold[etype] if self.n_gold[etype] else 1.0
        return p, rc, (2 * p * rc / (p + rc) if p + rc else 0.0)

    def full_share(self, etype: str) -> float:
        return self.full[etype] / self.n_gold[etype] if self.n_gold[etype] else 1.0


Detector = Callable[[str], Iterable[tuple[str, int, int]]]


def evaluate(
    records: list[Record],
    negatives: list[str],
    detect: Detector,
    person_known: Callable[[str], bool] | None = None,
) -> Report:
    """Score ``detect`` (text -> (type, start, end) triples) on labelled records and hard negatives."""
    rep = Report()
    for rec in records:
        pred = list(detect(rec.text))
        covered = bytearray(len(rec.text))
        for _, s, e in pred:
            covered[s:e] = b"\x01" * (e - s)
        for etype, s, e in rec.gold:
            rep.n_gold[etype] += 1
            hit = any(pt == etype and ps < e and s < pe for pt, ps, pe in pred)
            rep.tp_gold[etype] += hit
            if all(covered[s:e]):
                rep.full[etype] += 1
            elif len(rep.misses[etype]) < 400:
                rep.misses[etype].append(f"{rec.text[s:e]!r}  <-  {rec.text!r}")
            if etype == "PERSON" and person_known is not None:
                kind = "known" if person_known(rec.text[s:e]) else "unknown"
                for key in (kind, f"{kind}, no cue word") if rec.template in CUE_FREE else (kind,):
                    rep.person_split[(key, "total")] += 1
                    rep.person_split[(key, "found")] += all(covered[s:e])
        for pt, ps, pe in pred:
            rep.n_pred[pt] += 1
            ok = any(gt == pt and ps < ge and gs < pe for gt, gs, ge in rec.gold)
            rep.tp_pred[pt] += ok
            if not ok and len(rep.false_pos[pt]) < 400:
                rep.false_pos[pt].append(f"{rec.text[ps:pe]!r}  <-  {rec.text!r}")
    for text in negatives:
        rep.n_neg += 1
        for pt, ps, pe in detect(text):
            rep.neg_fp[pt] += 1
            if len(rep.false_pos["NEG:" + pt]) < 400:
                rep.false_pos["NEG:" + pt].append(f"{text[ps:pe]!r}  <-  {text!r}")
    return rep


def format_report(rep: Report, types: Iterable[str]) -> str:
    lines = [f"{'type':24} {'gold':>5} {'P':>6} {'R':>6} {'F1':>6} {'full':>6} {'negFP':>6}"]
    for t in types:
        if rep.n_gold[t] or rep.n_pred[t] or rep.neg_fp[t]:
            p, rc, f1 = rep.prf(t)
            lines.append(
                f"{t:24} {rep.n_gold[t]:5d} {p:6.3f} {rc:6.3f} {f1:6.3f} {rep.full_share(t):6.3f} {rep.neg_fp[t]:6d}"
            )
    tg, tf = sum(rep.n_gold.values()), sum(rep.full.values())
    lines.append(
        f"all gold spans fully redacted: {tf}/{tg} = {tf / tg:.3f}; hard negatives: {rep.n_neg}, spans fired on them: {sum(rep.neg_fp.values())}"
    )
    for kind in ("known", "unknown", "known, no cue word", "unknown, no cue word"):
        tot, hit = rep.person_split[(kind, "total")], rep.person_split[(kind, "found")]
        if tot:
            where = "in" if kind.startswith("known") else "NOT in"
            lines.append(
                f"PERSON names {where} gazetteer{kind.partition(',')[1] + kind.partition(',')[2]}: {hit}/{tot} = {hit / tot:.3f} fully redacted"
            )
    return "\n".join(lines)


def engine_detector(profile: str = "balanced") -> tuple[Detector, Callable[[str], bool]]:
    """Our engine as a :data:`Detector`, plus the gazetteer-membership test for PERSON names."""
    from pii_engine import Engine, EngineConfig
    from pii_engine.recognizers.names import gazetteers

    engine = Engine(EngineConfig(profile=profile) if profile != "balanced" else EngineConfig())

    def det(text: str) -> list[tuple[str, int, int]]:
        return [(s.type, s.start, s.end) for s in engine.detect(text)]

    def known(name: str) -> bool:
        g = gazetteers()
        words = name.lower().split()
        return bool(words) and (words[0] in g.first or words[-1] in g.last)

    return det, known


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--negatives", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument(
        "--show-errors",
        default=None,
        help="print misses and false positives for this type",
    )
    args = ap.parse_args()
    from pii_engine import ENTITY_TYPES

    det, known = engine_detector()
    rep = evaluate(
        generate(args.records, args.seed),
        hard_negatives(args.negatives, args.seed + 1),
        det,
        known,
    )
    print(format_report(rep, ENTITY_TYPES))
    if args.show_errors:
        t = args.show_errors
        print(f"\n--- misses ({t})")
        print("\n".join(rep.misses[t][:40]))
        print(f"\n--- false positives ({t})")
        print("\n".join(rep.false_pos[t][:40]))
        print(f"\n--- hard-negative hits ({t})")
        print("\n".join(rep.false_pos["NEG:" + t][:40]))


if __name__ == "__main__":
    main()
