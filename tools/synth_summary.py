"""Print a short summary of a synthesized cloud assembly: stacks, resources, compliance.

Usage: python tools/synth_summary.py [cdk.out]
Exits non-zero if the assembly holds any unsuppressed cdk-nag finding.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def stack_templates(outdir: Path, prefix: str = "") -> dict[str, Path]:
    """Stack name -> template file, including the stacks of nested assemblies (a delivery pipeline's stages,
    listed as ``<stage>/<stack>``)."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks: dict[str, Path] = {}
    for name, art in manifest["artifacts"].items():
        if art["type"] == "aws:cloudformation:stack":
            stacks[f"{prefix}{art['properties'].get('stackName', name)}"] = outdir / art["properties"]["templateFile"]
        elif art["type"] == "cdk:cloud-assembly":
            nested = outdir / art["properties"]["directoryName"]
            stage = art["properties"].get("displayName", name).rsplit("/", 1)[-1]
            stacks.update(stack_templates(nested, f"{prefix}{stage}/"))
    return stacks


def summarize(outdir: Path) -> int:
    stacks = stack_templates(outdir)
    total = 0
    acknowledged: Counter[str] = Counter()
    width = max([40, *(len(n) + 1 for n in stacks)])
    print(f"{'stack':<{width}} {'resources':>9}  top resource types")
    for name, template_file in stacks.items():
        resources = json.loads(template_file.read_text()).get("Resources", {})
        total += len(resources)
        types = Counter(r["Type"].removeprefix("AWS::") for r in resources.values())
        for resource in resources.values():
            for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
                acknowledged[rule["id"]] += 1
        top = ", ".join(f"{t} x{n}" for t, n in types.most_common(4))
        print(f"{name:<{width}} {len(resources):>9}  {top}")
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {"pluginReports": []}
    findings = [
        (v["severity"], v["ruleName"], c["constructPath"])
        for plugin in report["pluginReports"]
        for v in plugin["violations"]
        for c in v["violatingConstructs"]
    ]
    print(f"\n{len(stacks)} stacks, {total} resources")
    print(
        "compliance (cdk-nag AwsSolutions + HIPAA Security + NIST 800-53 R5): "
        f"{len(findings)} unsuppressed findings; {len(acknowledged)} acknowledged rule ids "
        "(reasons in pipeline_stacks/compliance.py):"
    )
    for rule_id, resources in sorted(acknowledged.items()):
        print(f"  acknowledged {rule_id} on {resources} resource(s)")
    for severity, rule, path in findings:
        print(f"  {severity}: {rule} at {path}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(summarize(Path(sys.argv[1] if len(sys.argv) > 1 else "cdk.out")))
