"""The registered tasks: a name (config.json's `task`) and the module holding its object.

Adding a task is a module in tagger/tasks/ defining `TASK` and one line here. This module
imports nothing, so the config schema can check task names without loading the tasks.
"""

from __future__ import annotations

MODULES = {
    "pos": "tagging",  # a label per token (POS, or any tag column)
    "ner": "ner",  # entity spans as tags
    "sentiment": "classify",  # a label per sentence
    "tokenize": "tokenize",  # a label per character: tokens, sentences, multi-word tokens
}
TASK_NAMES = tuple(MODULES)
