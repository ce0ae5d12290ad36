"""Task objects: every task is registered once, and no code outside tagger/tasks/ branches on
a task's name (it asks the task object instead)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tagger
from tagger.tasks import TASK_NAMES, get_task
from tagger.tasks.base import Task

PACKAGE = Path(tagger.__file__).parent


def _task_names_compared(tree: ast.AST) -> list[int]:
    """Lines comparing a task with a task's name (`config.task == "ner"`, `task in ("pos",
    ...)`), or using a list of task names (SENTENCE_TASKS). spaCy's `target in ("pos",
    "tag")` names a token attribute, not a task: only sides that mention a task count."""

    def names(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return {v for e in node.elts for v in names(e)}
        return set()

    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = any(names(side) & set(TASK_NAMES) for side in sides)
            if named and any("task" in ast.unparse(side).lower() for side in sides):
                lines.append(node.lineno)
        if isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name == "SENTENCE_TASKS":
                lines.append(node.lineno)
    return lines


def test_no_task_name_is_compared_outside_tagger_tasks() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent.name == "tasks" and path.parent.parent == PACKAGE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(PACKAGE)}:{line}" for line in _task_names_compared(tree)]
    assert found == []


def test_the_check_finds_a_comparison() -> None:
    code = 'a = config.task == "ner" or task in ("pos", "x") or t in SENTENCE_TASKS\n'
    code += 'b = target in ("", "pos", "tag")\n'
    assert _task_names_compared(ast.parse(code)) == [1, 1, 1]


@pytest.mark.parametrize("name", TASK_NAMES)
def test_every_registered_task_is_a_task_of_its_name(name: str) -> None:
    task = get_task(name)
    assert isinstance(task, Task)
    assert task.name == name
    assert task.default_format in task.formats


def test_an_unknown_task_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="task: expected one of pos, ner, sentiment, tokenize"):
        get_task("parse")


def test_tasks_answer_what_differs() -> None:
    pos, ner, sentiment, tokenize = (get_task(n) for n in ("pos", "ner", "sentiment", "tokenize"))
    assert [t.sentence_level for t in (pos, ner, sentiment, tokenize)] == [0, 0, 1, 0]
    assert [t.makes_tokens for t in (pos, ner, sentiment, tokenize)] == [0, 0, 0, 1]
    assert ner.label_names(["S-PER", "O"], "bioes", "iob2") == ["B-PER", "O"]
    assert pos.label_names(["S-PER"], "bioes", "iob2") == ["S-PER"]
    assert ner.knows(["O", "B-PER", "I-PER"], "E-PER") and not ner.knows(["B-PER"], "B-LOC")
    assert ner.main_score({"f1": 0.5, "accuracy": 0.9}) == 0.5
    assert pos.main_score({"f1": 0.5, "accuracy": 0.9}) == 0.9
    assert sentiment.default_format == "jsonl" and pos.default_format == "conllu"
