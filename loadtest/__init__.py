"""Load testing for OpenAI-compatible streaming chat APIs (``python -m loadtest``).

Locust runs headless as a library (:mod:`loadtest.runner`); everything else (profiles, SSE parsing, metrics,
reports, auth, the autoscaling observer, the stub server) is plain Python that never imports Locust, so it can be
imported without gevent's monkey-patching. See ``docs/loadtest.md``.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
