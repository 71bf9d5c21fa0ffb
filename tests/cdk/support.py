"""Synthesize the pipeline app the way ``app.py`` does, once per configuration."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from pipeline_stacks.config import load_config
from pipeline_stacks.pipeline import Pipeline, build_pipeline

REPO_ROOT = Path(__file__).resolve().parents[2]


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` block of the repository's cdk.json (feature flags + environments)."""
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


@dataclass
class SynthResult:
    """One synthesized pipeline app: its stacks, templates and the cdk-nag report."""

    pipeline: Pipeline
    outdir: Path
    templates: dict[str, dict[str, Any]]

    def template(self, component: str) -> Template:
        """Assertions over the template of ``component`` (``data``, ``training``, ...)."""
        return Template.from_json(self.templates[self.pipeline.config.stack_name(component)])

    @property
    def validation_report(self) -> dict[str, Any]:
        return json.loads((self.outdir / "validation-report.json").read_text())

    def unsuppressed_findings(self) -> list[str]:
        """Every cdk-nag violation left, errors and warnings alike, as readable lines."""
        lines = []
        for plugin in self.validation_report["pluginReports"]:
            for violation in plugin["violations"]:
                for construct in violation["violatingConstructs"]:
                    lines.append(f"{violation['severity']}: {violation['ruleName']} at {construct['constructPath']}")
        return lines


def nag_findings(outdir: Path) -> list[str]:
    """Every cdk-nag violation in ``outdir``'s ``validation-report.json``, as ``"<rule> at <construct path>"`` lines."""
    report = json.loads((outdir / "validation-report.json").read_text())
    return [
        f"{violation['ruleName']} at {construct['constructPath']}"
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]


def cfn_lint_errors(templates: Iterable[Path | str], region: str = "us-east-1") -> list[str]:
    """The error lines (``:E``) cfn-lint reports for ``templates`` in ``region``; warnings are left out."""
    paths = [str(path) for path in templates]
    assert paths, "no templates to lint"
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", "--regions", region, "--", *paths],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return [line for line in proc.stdout.splitlines() if ":E" in line]


def synth_pipeline(outdir: Path, **context: Any) -> SynthResult:
    """Build and synthesize the whole app with cdk.json context plus ``context`` overrides.

    Asset bundling is skipped (``aws:cdk:bundling-stacks``) and cdk-nag findings are reported to
    ``validation-report.json`` instead of failing synth, so tests can list them.
    """
    ctx = {
        **cdk_json_context(),
        "aws:cdk:bundling-stacks": [],
        "@aws-cdk/core:failSynthOnValidationErrors": False,
        **context,
    }
    app = cdk.App(outdir=str(outdir), context=ctx)
    config = load_config(app.node.try_get_context, all_context=app.node.get_all_context())
    pipeline = build_pipeline(app, config)
    assembly = app.synth()
    templates = {stack.stack_name: stack.template for stack in assembly.stacks}
    return SynthResult(pipeline=pipeline, outdir=outdir, templates=templates)
