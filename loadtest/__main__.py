"""``python -m loadtest`` entry point.

A load run patches the standard library with gevent (what Locust needs) before anything imports ``ssl`` or
``socket``; the ``report`` command does not.
"""

from __future__ import annotations

import sys

if len(sys.argv) > 1 and sys.argv[1] == "run":
    from gevent import monkey

    monkey.patch_all()

from loadtest.cli import main

if __name__ == "__main__":
    sys.exit(main())
