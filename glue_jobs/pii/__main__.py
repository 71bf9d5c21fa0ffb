"""Deprecated: ``python -m glue_jobs.pii`` forwards to ``python -m pii_engine``."""

from __future__ import annotations

import sys
import warnings

from pii_engine.__main__ import run

if __name__ == "__main__":
    warnings.warn("python -m glue_jobs.pii is deprecated; use python -m pii_engine", DeprecationWarning, stacklevel=1)
    sys.exit(run())
