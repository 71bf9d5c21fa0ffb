"""``monitoring.*``: alarm e-mail and thresholds (the thresholds model lives in ``pipeline_stacks.alarms``)."""

from __future__ import annotations

from pydantic import Field

from pipeline_stacks.alarms import AlarmThresholds
from pipeline_stacks.config._base import _Section

#: ``monitoring.thresholds.*`` are declared once, next to the alarm table they feed.
AlarmThresholdsConfig = AlarmThresholds


class MonitoringConfig(_Section):
    """Alarms, notifications, dashboard and the continuous-learning loop (``monitoring.*``)."""

    alarm_email: str | None = Field(
        None,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Email subscribed to the alarm topic (confirm the subscription after deploy).",
    )
    thresholds: AlarmThresholdsConfig = Field(default_factory=AlarmThresholdsConfig)
