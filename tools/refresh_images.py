"""Regenerate the pinned GPU/CPU image entries of ``pipeline_stacks/data/images.json``.

Maintainers only: needs the SageMaker Python SDK v3 (``pip install 'sagemaker>=3'``), which the
CDK app never imports (synth stays offline and deterministic; it only reads the JSON)::

    python tools/refresh_images.py            # show what would change
    python tools/refresh_images.py --write    # rewrite the table (review the diff, run the tests)

What it does: for every region of ``dlc_registry_accounts`` it asks
``sagemaker.core.image_uris.retrieve(...)`` (SDK v3 moved ``sagemaker.image_uris`` there) for the
pinned framework versions below, checks the tag is the same in every region, records each region's
DLC registry account, and stamps ``source.retrieved`` with today's date.

Not regenerated here, maintained BY HAND from the AWS Neuron DLC release notes
(https://awsdocs-neuron.readthedocs-hosted.com, "Neuron DLC" release notes) and the optimum-neuron /
DJL LMI neuronx release notes: ``training.neuron`` and ``serving.neuron.*``, and the
``neuron_regions`` lists. SDK v3 cannot resolve Trainium (neuronx) training images: its lookup data
has no ``trn`` processor for ``huggingface-neuronx`` training and ``retrieve`` fails with
``KeyError: 'trn'``. When you bump a Neuron image, keep ``transformers``/``optimum-neuron`` of the
image compatible with ``training/requirements.txt`` (the container pip-installs it at start-up).
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from pathlib import Path
from typing import Any

TABLE = Path(__file__).resolve().parents[1] / "pipeline_stacks" / "data" / "images.json"

#: (table path, retrieve() keyword arguments). Bump the versions here, then run with --write.
PINS: dict[tuple[str, ...], dict[str, Any]] = {
    ("training", "gpu"): {
        "framework": "pytorch", "version": "2.8.0", "py_version": "py312",
        "instance_type": "ml.g5.2xlarge", "image_scope": "training",
    },
    ("training", "cpu"): {
        "framework": "pytorch", "version": "2.8.0", "py_version": "py312",
        "instance_type": "ml.m5.xlarge", "image_scope": "training",
    },
    ("serving", "gpu", "lmi"): {
        "framework": "djl-lmi", "version": "0.36.0", "instance_type": "ml.g5.2xlarge", "image_scope": "inference",
    },
    ("serving", "gpu", "tgi"): {
        "framework": "huggingface-llm", "version": "3.3.6", "instance_type": "ml.g5.2xlarge",
        "image_scope": "inference",
    },
}  # fmt: skip

_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<repo>[^:]+):(?P<tag>.+)$"
)


def _retrieve() -> Any:
    try:
        from sagemaker.core import image_uris  # SDK v3
    except ImportError:
        try:
            from sagemaker import image_uris  # SDK v2 fallback
        except ImportError:
            sys.exit("tools/refresh_images.py needs the SageMaker SDK: pip install 'sagemaker>=3'")
    return image_uris.retrieve


def refresh(table: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A refreshed copy of ``table`` and human-readable change notes."""
    retrieve = _retrieve()
    notes: list[str] = []
    out = json.loads(json.dumps(table))
    accounts: dict[str, str] = dict(out["dlc_registry_accounts"])
    for path, kwargs in PINS.items():
        seen: dict[tuple[str, str], list[str]] = {}
        for region in sorted(accounts):
            try:
                uri = retrieve(region=region, **kwargs)
            except (ValueError, KeyError) as exc:
                notes.append(f"{'.'.join(path)}: not available in {region} ({exc})")
                continue
            match = _URI.match(uri)
            if not match:
                notes.append(f"{'.'.join(path)}: unexpected URI {uri}")
                continue
            if accounts.get(region) != match["account"]:
                notes.append(f"dlc_registry_accounts.{region}: {accounts.get(region)} -> {match['account']}")
                accounts[region] = match["account"]
            seen.setdefault((match["repo"], match["tag"]), []).append(region)
        if not seen:
            notes.append(f"{'.'.join(path)}: nothing resolved, left unchanged")
            continue
        (repo, tag), _regions = max(seen.items(), key=lambda item: len(item[1]))
        if len(seen) > 1:
            notes.append(f"{'.'.join(path)}: tags differ by region {sorted(seen)}; pinned the most common")
        node = out
        for part in path[:-1]:
            node = node[part]
        old = node[path[-1]]
        if (old["repository"], old["tag"]) != (repo, tag):
            notes.append(f"{'.'.join(path)}: {old['repository']}:{old['tag']} -> {repo}:{tag}")
        node[path[-1]] = {**old, "repository": repo, "tag": tag, "maintained": "refresh_images.py"}
    out["dlc_registry_accounts"] = dict(sorted(accounts.items()))
    out["source"]["retrieved"] = datetime.date.today().isoformat()
    return out, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite pipeline_stacks/data/images.json")
    args = parser.parse_args(argv)
    table = json.loads(TABLE.read_text())
    refreshed, notes = refresh(table)
    for note in notes:
        print(note)
    if args.write:
        TABLE.write_text(json.dumps(refreshed, indent=2) + "\n")
        print(f"wrote {TABLE}; Neuron entries were left as they are (maintained by hand)")
    elif not notes:
        print("up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
