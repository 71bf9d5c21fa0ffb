"""``--serve CMD``: start the server under test, wait until it answers, stop it afterwards (CI in one command)."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType


class ServeError(RuntimeError):
    """The server did not come up."""


class ServedProcess:
    """Runs ``command`` in its own process group until the context exits; output goes to ``log_path``."""

    def __init__(self, command: str, ready_url: str, log_path: Path, timeout_s: float = 120.0) -> None:
        self.command = command
        self.ready_url = ready_url
        self.log_path = log_path
        self.timeout_s = timeout_s
        self.process: subprocess.Popen[bytes] | None = None

    def _tail(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            return ""

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.ready_url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # it answers (e.g. 401 without a key): it is up
        except (urllib.error.URLError, OSError):
            return False

    def __enter__(self) -> ServedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                shlex.split(self.command), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServeError(f"--serve command exited with {self.process.returncode}:\n{self._tail()}")
            if self._answers():
                return self
            time.sleep(0.25)
        self.stop()
        raise ServeError(f"--serve: {self.ready_url} did not answer within {self.timeout_s:.0f} s:\n{self._tail()}")

    def stop(self) -> None:
        """SIGTERM to the process group this object started, SIGKILL after 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
