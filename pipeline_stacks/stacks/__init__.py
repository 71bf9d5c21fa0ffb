"""Thin stacks that wire the constructs together, one per pipeline stage."""

from pipeline_stacks.stacks.data import DataStack

__all__ = ["DataStack"]
