"""What a study leaves: trials.csv, best.toml and the best model (one objective), or
front/NNNN.toml per Pareto point (several), and the table printed at the end."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

from tagger.outputs import MODEL, FolderKind, replace_folder, write_text
from tagger.tune.toml_text import toml_text
from tagger.tune.workers import trial_values

ATTRS = ("epochs", "params", "train_minutes", "words_per_s", "folder", "base", "note")


def trials_csv(study: Any, objectives: list[str]) -> str:
    """One row per trial: number, state, values, seconds, dev per epoch, measures, params."""
    trials = study.get_trials(deepcopy=False)
    keys = sorted({key for t in trials for key in t.params})
    out = io.StringIO()
    rows = csv.writer(out, lineterminator="\n")
    attr_names = [name for name in ATTRS if name not in objectives]  # no column twice
    rows.writerow(["number", "state", *objectives, "seconds", "dev_by_epoch", *attr_names, *keys])
    for t in trials:
        values = list(t.values) if t.values is not None else [""] * len(objectives)
        seconds = f"{t.duration.total_seconds():.1f}" if t.duration else ""
        by_epoch = " ".join(f"{s:.4f}" for s in t.user_attrs.get("dev_scores", []))
        attrs = [t.user_attrs.get(name, "") for name in attr_names]
        params = [t.params.get(key, "") for key in keys]
        rows.writerow([t.number, t.state.name, *values, seconds, by_epoch, *attrs, *params])
    return out.getvalue()


def config_text(trial: Any, study: Any, what: str) -> str:
    """The trial's full resolved config as TOML, headed by where it came from."""
    shown = ", ".join(f"{name} {value:,.6g}" for name, value in trial_values(study, trial))
    budget = trial.user_attrs["config"]["train"]["max_minutes"]
    header = (
        f"{what}: trial {trial.number} of study {study.study_name} ({shown}).\n"
        f"Trained under train.max_minutes = {budget:g}, as every trial of the study."
    )
    return toml_text(trial.user_attrs["config"], header)


def write_results(study: Any, output: Path, objectives: list[str]) -> list[str]:
    """Write trials.csv and the best config(s) and model; lines saying what was written."""
    write_text(output / "trials.csv", trials_csv(study, objectives))
    said = [f"{output / 'trials.csv'}: {len(study.trials)} trials"]
    done = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if not done:
        return [*said, "no trial completed: no best config yet"]
    if len(objectives) > 1:
        return [*said, write_front(study, output)]
    best = study.best_trial
    write_text(output / "best.toml", config_text(best, study, "The best config"))
    said.append(f"{output / 'best.toml'}: trial {best.number}, dev {best.value:.4f}")
    return [*said, copy_best_model(output, best)]


def copy_best_model(output: Path, best: Any) -> str:
    """OUTPUT/best: a copy of the best trial's model folder (its trial folder stays)."""
    source = output / best.user_attrs.get("folder", "")
    if not (source / "meta.json").is_file():
        return f"{source}: not here (a worker on another machine?): no {output / 'best'}"

    def build(temp: Path) -> None:
        shutil.copytree(source, temp, dirs_exist_ok=True)

    replace_folder(output / "best", MODEL, build)
    return f"{output / 'best'}: a copy of {source}"


def write_front(study: Any, output: Path) -> str:
    """OUTPUT/front/NNNN.toml for each trial on the Pareto front (the folder replaced)."""
    front = sorted(study.best_trials, key=lambda t: t.number)
    texts = {f"{t.number:04d}.toml": config_text(t, study, "On the Pareto front") for t in front}
    folder = output / "front"
    old = frozenset(e.name for e in folder.iterdir()) if folder.is_dir() else frozenset()
    kind = FolderKind("a Pareto front", "tagger tune", old | set(texts), old, lambda _: True)

    def build(temp: Path) -> None:
        for name, text in texts.items():
            (temp / name).write_text(text, encoding="utf-8")

    replace_folder(folder, kind, build)
    return f"{folder}: {len(front)} configs on the Pareto front ({', '.join(texts)})"


def table(study: Any, objectives: list[str]) -> str:
    """The trials as an aligned text table, best first (complete ones, then the others)."""
    trials = study.get_trials(deepcopy=False)
    keys = sorted({key for t in trials for key in t.params})
    head = ["trial", "state", *objectives, "epochs", "seconds", *keys]
    rows = [head]

    def order(t: Any) -> tuple[int, float]:
        first = t.values[0] if t.values else float("-inf")
        return (t.state.name != "COMPLETE", -first)

    for t in sorted(trials, key=order):
        values = [f"{v:,.4g}" for v in t.values] if t.values else ["-"] * len(objectives)
        seconds = f"{t.duration.total_seconds():.0f}" if t.duration else "-"
        params = [_short(t.params.get(key, "")) for key in keys]
        epochs = str(t.user_attrs.get("epochs", len(t.user_attrs.get("dev_scores", []))))
        rows.append([str(t.number), t.state.name, *values, epochs, seconds, *params])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
