"""Prompt sets (short / medium / long) read from a JSON Lines file.

Each line: ``{"set": "short"|"medium"|"long"|<any name>, "messages": [...]}`` or ``{"set": ..., "prompt": "..."}``
(a single user message), optionally ``"max_tokens"``. The shipped file is ``loadtest/prompts.jsonl``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PROMPTS = Path(__file__).with_name("prompts.jsonl")


@dataclass(frozen=True)
class Prompt:
    """One request body's conversation part."""

    set: str
    messages: tuple[dict[str, Any], ...]
    max_tokens: int | None = None

    @property
    def chars(self) -> int:
        """Characters of message text (a rough size)."""
        return sum(len(str(m.get("content", ""))) for m in self.messages)


def load_prompts(path: Path | str = DEFAULT_PROMPTS, sets: list[str] | None = None) -> list[Prompt]:
    """Prompts of ``path`` whose set is in ``sets`` (all when ``None``); raises ``ValueError`` on a bad line."""
    prompts: list[Prompt] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(item, dict) or not isinstance(item.get("set"), str):
            raise ValueError(f"{path}:{number}: needs an object with a string 'set'")
        if "messages" in item:
            messages = item["messages"]
            if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
                raise ValueError(f"{path}:{number}: 'messages' must be a non-empty list of objects")
        elif isinstance(item.get("prompt"), str):
            messages = [{"role": "user", "content": item["prompt"]}]
        else:
            raise ValueError(f"{path}:{number}: needs 'messages' or 'prompt'")
        max_tokens = item.get("max_tokens")
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
            raise ValueError(f"{path}:{number}: 'max_tokens' must be a positive integer")
        if sets is None or item["set"] in sets:
            prompts.append(Prompt(item["set"], tuple(messages), max_tokens))
    if not prompts:
        raise ValueError(f"{path}: no prompts" + (f" in sets {sets}" if sets else ""))
    return prompts


class PromptPicker:
    """Seeded random choice over prompts (each virtual user gets its own picker)."""

    def __init__(self, prompts: list[Prompt], seed: int | None = None) -> None:
        self.prompts = prompts
        self._random = random.Random(seed)

    def next(self) -> Prompt:
        """A prompt."""
        return self._random.choice(self.prompts)
