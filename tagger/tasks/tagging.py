"""Token tagging: one label per token (UPOS, XPOS or any tag column), scored by accuracy."""

from __future__ import annotations

from tagger.tasks.base import Task

TASK = Task()
