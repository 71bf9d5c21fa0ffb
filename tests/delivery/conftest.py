"""Put the delivery runtime folders (``lambda_src/promotion``, ``tools``) on ``sys.path`` for the tests."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for folder in (ROOT / "lambda_src" / "promotion", ROOT / "tools"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
