"""The study's plots as PNG (optuna.visualization.matplotlib, Agg backend) in OUTPUT/plots:
optimisation history, parameter importances, and the Pareto front of several objectives."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

from tagger.outputs import FolderKind, replace_folder

PLOT_NAMES = ("history.png", "importances.png", "pareto_front.png")
_KIND = FolderKind("a plots folder", "tagger tune", frozenset(PLOT_NAMES), frozenset(), bool)


def _png(axes: Any) -> bytes:
    import matplotlib.pyplot as plt

    figure = axes.figure
    figure.set_size_inches(8, 5)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return buffer.getvalue()


def draw(study: Any, objectives: list[str]) -> dict[str, bytes]:
    """The plots this study can show: importances need 2 complete trials and 2 params."""
    import matplotlib

    matplotlib.use("Agg")
    import optuna
    from optuna.visualization import matplotlib as plots

    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        return {}
    first = {"target": (lambda t: t.values[0]), "target_name": "dev"} if len(objectives) > 1 else {}
    found = {"history.png": _png(plots.plot_optimization_history(study, **first))}
    if len(complete) >= 2 and len({k for t in complete for k in t.params}) > 1:
        found["importances.png"] = _png(plots.plot_param_importances(study, **first))
    if 2 <= len(objectives) <= 3:
        found["pareto_front.png"] = _png(plots.plot_pareto_front(study, target_names=objectives))
    return found


def write_plots(study: Any, output: Path, objectives: list[str]) -> list[str]:
    """OUTPUT/plots/*.png (one swap of the folder); the names written."""
    with warnings.catch_warnings():  # experimental-API and few-trial warnings
        warnings.simplefilter("ignore")
        found = draw(study, objectives)
    if not found:
        return []

    def build(temp: Path) -> None:
        for name, data in found.items():
            (temp / name).write_bytes(data)

    replace_folder(output / "plots", _KIND, build)
    return sorted(found)
