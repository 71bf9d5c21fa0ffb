"""Thin stacks that wire the constructs together, one per pipeline stage."""

from pipeline_stacks.stacks.data import DataStack
from pipeline_stacks.stacks.monitoring import MonitoringStack
from pipeline_stacks.stacks.serving import ServingStack
from pipeline_stacks.stacks.training import TrainingStack

__all__ = ["DataStack", "MonitoringStack", "ServingStack", "TrainingStack"]
