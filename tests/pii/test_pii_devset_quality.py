"""Dev-set quality gate on a small deterministic sample (quality only, no timing)."""

from __future__ import annotations

import pytest

from tests.benchmark_scripts import load_benchmark


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    devset = load_benchmark("pii_devset")
    det, known = devset.engine_detector()
    return devset.evaluate(devset.generate(500, seed=7), devset.hard_negatives(400, seed=8), det, known)


@pytest.mark.parametrize(
    "etype",
    [
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "CREDIT_CARD",
        "US_SSN",
        "IBAN_CODE",
        "IP_ADDRESS",
        "URL",
    ],
)
def test_structured_f1(report, etype: str) -> None:  # type: ignore[no-untyped-def]
    assert report.n_gold[etype] > 0
    assert report.prf(etype)[2] >= 0.97, (etype, report.prf(etype))


@pytest.mark.parametrize("etype", ["PERSON", "STREET_ADDRESS", "LOCATION", "DATE_TIME"])
def test_free_text_fully_redacted(report, etype: str) -> None:  # type: ignore[no-untyped-def]
    assert report.full_share(etype) >= 0.90, (etype, report.full_share(etype))


def test_numeric_identifiers_silent_on_hard_negatives(report) -> None:  # type: ignore[no-untyped-def]
    numeric = [
        "PHONE_NUMBER",
        "CREDIT_CARD",
        "US_SSN",
        "US_ITIN",
        "US_BANK_NUMBER",
        "ABA_ROUTING_NUMBER",
        "US_PASSPORT",
        "US_DRIVER_LICENSE",
        "MEDICAL_RECORD_NUMBER",
        "IBAN_CODE",
        "AWS_ACCESS_KEY",
    ]
    fired = sum(report.neg_fp[t] for t in numeric)
    assert fired <= report.n_neg * 0.005, {t: report.neg_fp[t] for t in numeric if report.neg_fp[t]}
    assert report.neg_fp["PERSON"] + report.neg_fp["STREET_ADDRESS"] <= report.n_neg * 0.01
