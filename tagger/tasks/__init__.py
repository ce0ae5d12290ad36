"""Tasks: one object per task, asked by every other room instead of comparing task names."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

from tagger.tasks.registry import MODULES, TASK_NAMES

if TYPE_CHECKING:
    from tagger.tasks.base import Task

__all__ = ["TASK_NAMES", "get_task"]


@cache
def get_task(name: str) -> Task:
    """The task object of a registered task name (ValueError naming the known ones)."""
    if name not in MODULES:
        raise ValueError(f"task: expected one of {', '.join(TASK_NAMES)}, got {name!r}")
    return import_module(f"tagger.tasks.{MODULES[name]}").TASK
