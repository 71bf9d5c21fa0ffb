#!/usr/bin/env python3
"""CDK app entry point: one secure LLM pipeline for the environment chosen with ``-c env=NAME``."""

import sys

import aws_cdk as cdk

from pipeline_stacks.config import ConfigError, load_config
from pipeline_stacks.pipeline import build_pipeline


def main() -> None:
    app = cdk.App()
    try:
        config = load_config(app.node.try_get_context, all_context=app.node.get_all_context())
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    build_pipeline(app, config)
    app.synth()


if __name__ == "__main__":
    main()
