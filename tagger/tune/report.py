"""`tagger report TUNE_FOLDER`: one self-contained HTML page about a study, read from what
`tagger tune` left in its folder (trials.csv, best.toml or front/NNNN.toml, plots/*.png).
No database is opened: the page needs neither Optuna nor the study's storage."""

from __future__ import annotations

import csv
import html
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tagger.explain.page import document, image
from tagger.outputs import OutputError, check_output, write_text
from tagger.tune.folder import DATABASE
from tagger.tune.objectives import OBJECTIVES
from tagger.tune.plots import PLOT_NAMES
from tagger.tune.results import ATTRS

TRIALS_CSV = "trials.csv"
# The first header line of best.toml and front/NNNN.toml (tagger.tune.results.config_text)
SOURCE = re.compile(r"^# .*?: trial (\d+) of study (.*) \(")
CAPTIONS = {
    "history.png": "Optimisation history: each complete trial's dev score, and the best so far.",
    "importances.png": "Parameter importances (Optuna's default evaluator): how much each "
    "sampled key matters to the dev score.",
    "pareto_front.png": "The Pareto front: the trials no other trial beats on every objective.",
}
MARKED = ' style="background: #fff3c4"'  # the rows of the best trial or the front's trials


@dataclass(frozen=True)
class TuneResults:
    """What a tune folder says about its study."""

    folder: Path
    objectives: list[str]  # the value columns of trials.csv, dev first
    params: list[str]  # the sampled config keys
    rows: list[dict[str, str]]  # trials.csv, one dict per trial
    study: str = ""  # the study's name, from best.toml or a front config
    best: int | None = None  # best.toml's trial (one objective)
    configs: dict[str, str] = field(default_factory=dict)  # "best.toml" or "front/NNNN.toml": text
    front: list[int] = field(default_factory=list)  # the trials of front/NNNN.toml


def is_tune_folder(path: Path) -> bool:
    """A folder `tagger tune --output` wrote: it holds the study or its trials table (and
    no model of its own); a study with no complete trial has no best.toml yet."""
    has_study = (path / DATABASE).is_file() or (path / TRIALS_CSV).is_file()
    return path.is_dir() and has_study and not (path / "meta.json").exists()


def read_results(folder: Path) -> TuneResults:
    """trials.csv and the best or front configs of a tune folder (ValueError naming the
    file when one is missing or not what tagger tune writes)."""
    path = folder / TRIALS_CSV
    if not path.is_file():
        raise ValueError(
            f"{folder}: no {TRIALS_CSV}; tagger tune writes it when its workers end (run the "
            "same command again to write it)"
        )
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    if header[:2] != ["number", "state"] or "seconds" not in header:
        raise ValueError(
            f"{path}: line 1: expected tagger tune's columns (number, state, the objectives, "
            f"seconds, ...), got {', '.join(header[:4]) or 'nothing'}"
        )
    seconds = header.index("seconds")
    fixed = {"dev_by_epoch", *ATTRS}
    configs: dict[str, str] = {}
    if (folder / "best.toml").is_file():
        configs["best.toml"] = (folder / "best.toml").read_text(encoding="utf-8")
    for toml in sorted((folder / "front").glob("*.toml")):
        configs[f"front/{toml.name}"] = toml.read_text(encoding="utf-8")
    sources = {name: SOURCE.match(text) for name, text in configs.items()}
    best = sources.get("best.toml")
    front = [int(found[1]) for name, found in sources.items() if found and name != "best.toml"]
    return TuneResults(
        folder=folder,
        objectives=header[2:seconds],
        params=[key for key in header[seconds + 1 :] if key not in fixed],
        rows=rows,
        study=next((found[2] for found in sources.values() if found), ""),
        best=int(best[1]) if best else None,
        configs=configs,
        front=front,
    )


def check_report_output(output: Path, folder: Path) -> Path:
    """The page's path, or an OutputError: never an input, nor a new file in the tune
    folder (tagger tune refuses to continue a folder that holds files of others)."""
    path = check_output(output, [folder])
    if path.resolve().is_relative_to(folder.resolve()):
        raise OutputError(
            f"--output {output}: is inside the tune folder {folder}, where tagger tune "
            "writes only its own files; write the page beside the folder"
        )
    return path


def write_tune_report(folder: Path, output: Path) -> Path:
    """The study's page (summary, plots, trials, best or front configs) into `output`."""
    results = read_results(folder)
    sections = [
        "<h2>Study</h2>",
        summary(results),
        plots_section(folder),
        "<h2>Trials</h2>",
        '<p class="note">In the order they were made. A pruned trial shows its last dev '
        "score in parentheses; the best trial (or each trial on the front) is marked.</p>",
        trials_table(results),
        configs_section(results),
    ]
    study = f" (study {results.study})" if results.study else ""
    write_text(output, document(f"{folder.name}: tuning report{study}", "\n".join(sections)))
    return output


def _pairs(pairs: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in pairs)
    return f"<table>{cells}</table>"


def summary(results: TuneResults) -> str:
    """The study's facts: objectives, trial counts by state, budget, best, base."""
    states: dict[str, int] = {}
    for row in results.rows:
        states[row["state"]] = states.get(row["state"], 0) + 1
    counted = ", ".join(f"{n} {state.lower()}" for state, n in states.items())
    seconds = sum(float(row["seconds"] or 0) for row in results.rows)
    objectives = "; ".join(
        "{} ({}: {})".format(name, *OBJECTIVES.get(name, ("?", "not known to this version")))
        for name in results.objectives
    )
    base = [row["number"] for row in results.rows if row.get("base") == "True"]
    pairs = [
        ("folder", html.escape(str(results.folder))),
        ("study", html.escape(results.study or "?")),
        ("objectives", html.escape(objectives)),
        ("sampled", html.escape(", ".join(results.params) or "nothing")),
        ("trials", f"{len(results.rows)}: {html.escape(counted) or 'none'}"),
        ("trial time", f"{_duration(seconds)} in all trials together"),
        ("budget", html.escape(_budget(results))),
        (
            "base config",
            f"trial {base[0]}, the base config's own values"
            if base
            else "not a trial (the space does not hold all its values)",
        ),
        ("result", html.escape(_result(results))),
    ]
    return _pairs(pairs)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} minutes"


def _budget(results: TuneResults) -> str:
    for text in results.configs.values():
        minutes = tomllib.loads(text).get("train", {}).get("max_minutes")
        if minutes is not None:
            return f"train.max_minutes = {minutes:g} per trial"
    return "? (no best or front config yet)"


def _result(results: TuneResults) -> str:
    if results.best is not None:
        return f"trial {results.best} is the best: best.toml, its model in best/"
    if results.front:
        numbers = ", ".join(str(n) for n in results.front)
        return f"{len(results.front)} trials on the Pareto front ({numbers}): front/NNNN.toml"
    return "no trial completed: no best config yet"


def _number(text: str) -> str:
    """A CSV value as a cell's text: 0.8667, 12,345 words/s, or the text itself."""
    try:
        value = float(text)
    except ValueError:
        return html.escape(text)
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def trials_table(results: TuneResults) -> str:
    """A row per trial: number, state, values, seconds, epochs, params and its marks."""
    head = ["trial", "state", *results.objectives, "seconds", "epochs", *results.params, "marks"]
    lines = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for row in results.rows:
        number = int(row["number"])
        values = [row[name] for name in results.objectives]
        if not any(values) and row.get("dev_by_epoch"):  # pruned: its last dev score
            values[0] = f"({_number(row['dev_by_epoch'].split()[-1])})"
        marks = [
            mark
            for mark, on in (
                ("best", number == results.best),
                ("front", number in results.front),
                ("base config", row.get("base") == "True"),
                (row.get("note", ""), bool(row.get("note"))),
            )
            if on
        ]
        cells = [
            str(number),
            html.escape(row["state"]),
            *(v if v.startswith("(") else _number(v) for v in values),
            _number(row["seconds"]),
            html.escape(row.get("epochs", "")),
            *(_number(row[key]) for key in results.params),
            f"<b>{html.escape(', '.join(marks))}</b>" if marks else "",
        ]
        style = MARKED if number == results.best or number in results.front else ""
        lines.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f'<table class="trials">{"".join(lines)}</table>'


def plots_section(folder: Path) -> str:
    """The PNGs of OUTPUT/plots, inlined, each with a caption."""
    found = [name for name in PLOT_NAMES if (folder / "plots" / name).is_file()]
    if not found:
        return '<p class="note">No plots/ in the folder: no complete trial yet.</p>'
    parts = ["<h2>Plots</h2>"]
    for name in found:
        parts.append(f'<p class="note">{html.escape(CAPTIONS.get(name, name))}</p>')
        parts.append(image((folder / "plots" / name).read_bytes(), name.removesuffix(".png")))
    return "\n".join(parts)


def configs_section(results: TuneResults) -> str:
    """best.toml, or each front/NNNN.toml, in full (folded), ready for `tagger train`."""
    if not results.configs:
        return ""
    title = "Best config" if results.best is not None else "Configs on the Pareto front"
    parts = [
        f"<h2>{title}</h2>",
        '<p class="note">Each file trains with <code>tagger train FILE -o MODEL</code>.</p>',
    ]
    for name, text in results.configs.items():
        parts.append(
            f"<details><summary>{html.escape(name)}</summary>"
            f"<pre>{html.escape(text)}</pre></details>"
        )
    return "\n".join(parts)
