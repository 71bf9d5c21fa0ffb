"""Load profiles as a list of stages (pure; the Locust ``LoadTestShape`` in :mod:`loadtest.runner` replays them).

Every profile is closed-loop: a stage holds ``users`` concurrent virtual users, each sending its next request as soon
as the previous one finished (no think time unless asked), so concurrency == users.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PROFILES = ("smoke", "step", "spike", "endurance")


@dataclass(frozen=True)
class Stage:
    """One constant-concurrency stretch of a profile."""

    name: str
    users: int
    duration_s: float
    spawn_rate: float

    def __post_init__(self) -> None:
        if self.users < 1:
            raise ValueError(f"Stage {self.name!r}: users={self.users}; allowed: >= 1")
        if self.duration_s <= 0:
            raise ValueError(f"Stage {self.name!r}: duration_s={self.duration_s}; allowed: > 0")


@dataclass(frozen=True, kw_only=True)
class ProfileSpec:
    """Tunables of a profile; ``None`` means the profile's default.

    ``users``: the peak concurrency (smoke 2, step 8, spike 16, endurance 4). ``step_s``: seconds per stage of
    ``step``/``spike`` (default 60). ``duration_s``: length of ``smoke`` (30) / ``endurance`` (3600). ``step_users``:
    increment between step levels (default 1: 1, 2, ..., N). ``levels``: explicit step levels (overrides the two
    before). ``baseline_users``: the spike profile's low level (default 1).
    """

    users: int | None = None
    step_s: float | None = None
    duration_s: float | None = None
    step_users: int = 1
    levels: Sequence[int] | None = None
    baseline_users: int = 1


DEFAULT_USERS = {"smoke": 2, "step": 8, "spike": 16, "endurance": 4}


def _ramp(users: int) -> float:
    """Spawn rate that reaches a level within about a second."""
    return float(max(1, users))


def build_profile(profile: str, spec: ProfileSpec | None = None) -> list[Stage]:
    """Stages of ``profile`` (one of :data:`PROFILES`) for ``spec``."""
    spec = spec or ProfileSpec()
    if profile not in PROFILES:
        raise ValueError(f"profile={profile!r}; allowed: {', '.join(PROFILES)}")
    users = spec.users if spec.users is not None else DEFAULT_USERS[profile]
    if users < 1:
        raise ValueError(f"users={users}; allowed: >= 1")
    step_s = spec.step_s if spec.step_s is not None else 60.0
    if profile == "smoke":
        duration = spec.duration_s if spec.duration_s is not None else 30.0
        return [Stage("smoke", users, duration, _ramp(users))]
    if profile == "endurance":
        duration = spec.duration_s if spec.duration_s is not None else 3600.0
        return [Stage("endurance", users, duration, _ramp(users))]
    if profile == "step":
        if spec.levels:
            levels = [int(level) for level in spec.levels]
            if any(level < 1 for level in levels):
                raise ValueError(f"levels={list(spec.levels)}; allowed: integers >= 1")
        else:
            if spec.step_users < 1:
                raise ValueError(f"step_users={spec.step_users}; allowed: >= 1")
            levels = list(range(1, users + 1, spec.step_users))
            if levels[-1] != users:
                levels.append(users)
        return [Stage(f"step-{i + 1}", level, step_s, _ramp(level)) for i, level in enumerate(levels)]
    # spike: baseline, a sudden jump to the peak, then back to the baseline to watch recovery
    base = spec.baseline_users
    if not 1 <= base <= users:
        raise ValueError(f"baseline_users={base}; allowed: 1..users ({users})")
    return [
        Stage("baseline", base, step_s, _ramp(base)),
        Stage("spike", users, step_s, float(users)),
        Stage("recovery", base, step_s, float(users)),
    ]


class StageClock:
    """Maps seconds since the start of a run to the stage running then."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        if not stages:
            raise ValueError("a profile needs at least one stage")
        self.stages = list(stages)
        self.starts: list[float] = []
        t = 0.0
        for stage in self.stages:
            self.starts.append(t)
            t += stage.duration_s
        self.total_s = t

    def index_at(self, t: float) -> int | None:
        """Index of the stage at ``t`` seconds, or ``None`` once the profile is over."""
        if t < 0:
            return 0
        for i in range(len(self.stages) - 1, -1, -1):
            if t >= self.starts[i]:
                return i if t < self.starts[i] + self.stages[i].duration_s else None
        return 0

    def tick(self, t: float) -> tuple[int, float] | None:
        """What a Locust ``LoadTestShape.tick`` returns at ``t`` seconds: ``(users, spawn_rate)`` or ``None``."""
        i = self.index_at(t)
        if i is None:
            return None
        return self.stages[i].users, self.stages[i].spawn_rate
