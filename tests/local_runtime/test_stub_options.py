"""``python -m local_runtime serve --backend stub --stub-echo --stub-delay-ms N`` (what the browser tests run)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lambda_src" / "front_door"))

from chat_api.backends import Final, build_backend  # noqa: E402
from chat_api.protocol import ChatRequest, Message  # noqa: E402

from local_runtime.__main__ import chat_settings, parse_args  # noqa: E402
from local_runtime.lifecycle import Paths  # noqa: E402

PROMPT = "Check <img src=x onerror=alert(1)> and [x](javascript:alert(2)) end"


def _stream(settings: Any, text: str) -> tuple[list[str], list[float]]:
    backend = build_backend(settings)
    request = ChatRequest(messages=[Message(role="user", content=text)], model=None, max_tokens=100)

    async def run() -> tuple[list[str], list[float]]:
        deltas, times = [], []
        async for item in backend.stream(request):
            if not isinstance(item, Final):
                deltas.append(item)
                times.append(time.perf_counter())
        return deltas, times

    return asyncio.run(run())


def test_stub_echo_streams_the_prompt_word_by_word_with_the_delay(tmp_path: Path) -> None:
    args = parse_args(["serve", "--backend", "stub", "--stub-echo", "--stub-delay-ms", "20", "--home", str(tmp_path)])
    settings = chat_settings(args, Paths(tmp_path))
    deltas, times = _stream(settings, PROMPT)
    assert "".join(deltas) == PROMPT and len(deltas) == len(PROMPT.split(" "))
    # 20 ms between words: the gaps add up to at least (words - 1) x 20 ms (a lower bound, not a timing threshold)
    assert times[-1] - times[0] >= 0.02 * (len(deltas) - 1) * 0.9


def test_stub_without_echo_keeps_its_fixed_reply(tmp_path: Path) -> None:
    settings = chat_settings(parse_args(["serve", "--backend", "stub", "--home", str(tmp_path)]), Paths(tmp_path))
    deltas, _ = _stream(settings, PROMPT)
    assert "".join(deltas) == "This is a deterministic stub answer from the secure LLM pipeline."
