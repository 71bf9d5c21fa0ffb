"""Compliance: zero unsuppressed cdk-nag findings in three packs, cfn-lint clean, narrow suppressions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from pipeline_stacks import compliance
from tests.cdk.support import SynthResult


def test_harness_reports_findings_from_all_three_packs(tmp_path: Path) -> None:
    """Canary: a plain bucket must be flagged by every pack, or the zero-findings tests prove nothing."""
    app = cdk.App(outdir=str(tmp_path), context={"@aws-cdk/core:failSynthOnValidationErrors": False})
    s3.Bucket(cdk.Stack(app, "Canary"), "Plain")
    compliance.add_compliance_checks(app)
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    names = {p["pluginName"] for p in report["pluginReports"] if p["violations"]}
    assert names == {"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5"}


def test_no_unsuppressed_errors_or_warnings(any_app: SynthResult) -> None:
    assert any_app.unsuppressed_findings() == []


def test_cfn_lint_has_no_errors(any_app: SynthResult) -> None:
    templates = sorted(str(p) for p in Path(any_app.outdir).glob("*.template.json"))
    assert templates
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    proc = subprocess.run(
        [str(cfn_lint), "--format", "parseable", "--regions", "us-east-1", "--", *templates],
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in proc.stdout.splitlines() if ":E" in line]
    assert errors == [], proc.stdout


def test_every_suppression_has_a_specific_reason() -> None:
    for key, suppressions in compliance.SUPPRESSIONS.items():
        for s in suppressions:
            assert len(s.reason) >= 60, f"{key}: {s.rule} needs a specific reason"
            assert s.rule.split("-")[0] in {"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5"}


def test_wildcard_acknowledgments_are_narrowed_to_findings(any_app: SynthResult) -> None:
    """IAM5 (wildcards) is only ever acknowledged per finding (``AwsSolutions-IAM5[...]``), never for a
    whole resource: checked on what was actually applied, as recorded in the templates' metadata."""
    applied = [
        rule["id"]
        for template in any_app.templates.values()
        for resource in template.get("Resources", {}).values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert any(i.startswith("AwsSolutions-IAM5[") for i in applied)
    assert [i for i in applied if i.endswith("IAM5")] == []


def test_acknowledgments_are_recorded_in_template_metadata(dev: SynthResult) -> None:
    buckets = dev.template("data").find_resources("AWS::S3::Bucket")
    acknowledged = [
        rule["id"]
        for bucket in buckets.values()
        for rule in bucket.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert acknowledged, "write_suppressions_to_cloud_formation should leave an audit trail"
