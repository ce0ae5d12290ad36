"""Pictures of one explained sentence: gate heatmaps, the memory summary, saliency, attention.

Figures are drawn with matplotlib's object API on the Agg canvas (no pyplot, no global
state, no screen) and returned as PNG bytes, for files or for data URIs in a page.
"""

from __future__ import annotations

import io

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tagger.explain.explanation import Explanation
from tagger.explain.stats import GateStats

GATE_COLOURS = "viridis"  # gates in [0, 1]
SIGNED_COLOURS = "RdBu_r"  # candidate, cell and hidden: signed, centred on 0
SIGNED_PARTS = ("candidate", "cell", "hidden")
DPI = 90
METHOD_NAMES = {"ig": "integrated gradients", "grad": "gradient x input"}
TITLES = {
    "input": "input gate i (what is written to the cell)",
    "forget": "forget gate f (what the cell keeps)",
    "output": "output gate o (what the cell shows)",
    "candidate": "candidate g (what would be written)",
    "cell": "cell state c",
    "hidden": "hidden state h",
    "reset": "reset gate r",
    "update": "update gate z (what is kept)",
}


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def token_ticks(explanation: Explanation) -> list[str]:
    """An x tick per token: the token, and under it its label and probability (token
    models) or the token alone (sentence models)."""
    if explanation.classes is not None:  # a sentence model
        return explanation.tokens
    return [
        f"{token}\n{label}\n{prob:.2f}"
        for token, label, prob in zip(
            explanation.tokens, explanation.labels, explanation.probs, strict=True
        )
    ]


def unit_order(values: torch.Tensor) -> torch.Tensor:
    """Units sorted by their mean over the tokens, so units that behave alike sit together.
    values: (tokens, units) -> (units,) permutation."""
    return values.mean(dim=0).argsort(descending=True)


def _cell_bound(values: torch.Tensor) -> float:
    """The colour scale of the cell state, which is unbounded: the 98th percentile of
    |c|, at least 1, so a few large units do not wash out the rest."""
    return max(1.0, float(values.abs().flatten().float().quantile(0.98)))


def _width(explanation: Explanation) -> float:
    return min(4 + 0.42 * len(explanation.tokens), 40)


def gate_heatmaps(explanation: Explanation, layer: int, direction: str) -> bytes:
    """Every part of one layer and direction as a (units x tokens) heatmap, stacked.

    Laid out by hand (no layout engine) with one colour bar per colour scale: a figure
    of six heatmaps over fifty tokens draws in about a tenth of a second this way.
    """
    parts = explanation.layers[layer][direction]
    rows = len(parts)
    height = 1.5 * rows + 1.5  # inches: 1.5 per heatmap, the rest for titles and ticks
    figure = Figure(figsize=(_width(explanation), height))
    figure.subplots_adjust(
        left=0.05, right=0.93, top=1 - 0.6 / height, bottom=0.75 / height, hspace=0.4
    )
    axes = figure.subplots(rows, 1, squeeze=False)[:, 0]  # not shared: ticks cost
    ticks = token_ticks(explanation)
    bars = {}
    for ax, (name, values) in zip(axes, parts.items(), strict=True):
        ordered = values[:, unit_order(values)].t().numpy()  # (units, tokens)
        signed = name in SIGNED_PARTS
        bound = _cell_bound(values) if name == "cell" else 1.0
        image = ax.imshow(
            ordered,
            aspect="auto",
            interpolation="nearest",
            cmap=SIGNED_COLOURS if signed else GATE_COLOURS,
            vmin=-bound if signed else 0.0,
            vmax=bound,
        )
        clipped = f" (colours clipped at ±{bound:.1f})" if name == "cell" else ""
        ax.set_title(TITLES[name] + clipped, fontsize=9, loc="left")
        ax.set_yticks([])
        ax.set_xticks([])  # only the bottom heatmap has token ticks (each tick is two lines)
        ax.set_ylabel("units", fontsize=8)
        bars.setdefault(signed, (ax, image))
    axes[-1].set_xticks(range(len(ticks)))
    axes[-1].set_xticklabels(ticks, fontsize=7)
    for ax, image in bars.values():
        box = ax.get_position()
        figure.colorbar(image, cax=figure.add_axes((0.945, box.y0, 0.012, box.height)))
    reading = "left to right" if direction == "forward" else "right to left"
    figure.suptitle(
        f"layer {layer + 1}, {direction} ({reading}); units sorted by mean activation",
        fontsize=10,
        x=0.05,
        ha="left",
    )
    return png(figure)


def memory_summary(explanation: Explanation) -> bytes:
    """Per token, the mean forget and input (LSTM) or update and reset (GRU) gate of each
    layer and direction: how much each word keeps and overwrites of the memory."""
    keep, write = ("forget", "input") if explanation.rnn == "lstm" else ("update", "reset")
    figure = Figure(layout="constrained", figsize=(_width(explanation), 3.4))
    ax = figure.subplots()
    steps = range(len(explanation.tokens))
    for number, layer in enumerate(explanation.layers):
        for direction, parts in layer.items():
            style = "-" if direction == "forward" else "--"
            name = f"layer {number + 1} {'fwd' if direction == 'forward' else 'bwd'}"
            ax.plot(steps, parts[keep].mean(dim=1), style, marker="o", label=f"{name} {keep}")
            ax.plot(steps, parts[write].mean(dim=1), style, marker="x", label=f"{name} {write}")
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean gate value", fontsize=8)
    ax.set_xticks(list(steps))
    ax.set_xticklabels(token_ticks(explanation), fontsize=7)
    ax.legend(fontsize=7, ncol=4, loc="upper left", bbox_to_anchor=(0, -0.25))
    ax.set_title(f"how much each word keeps ({keep}) and writes ({write})", fontsize=9)
    ax.grid(alpha=0.3)
    return png(figure)


def saliency_map(explanation: Explanation) -> bytes:
    """Token models: (label x input word) heatmap, a row per token's predicted label;
    sentence models: a bar per input word for the sentence's label."""
    assert explanation.saliency is not None
    heat = explanation.saliency
    figure = Figure(
        figsize=(_width(explanation), 3.0 if heat.shape[0] == 1 else 1.5 + 0.3 * len(heat))
    )
    ax = figure.subplots()
    words = list(range(len(explanation.tokens)))
    if heat.shape[0] == 1:
        values = heat[0].tolist()
        ax.bar(words, values, color=["#2471a3" if v < 0 else "#c0392b" for v in values])
        ax.axhline(0, color="black", linewidth=0.5)
        ax.set_title(
            f"saliency for {explanation.labels[0]} ({explanation.probs[0]:.2f}): "
            f"{METHOD_NAMES[explanation.saliency_method]}, positive words push towards it",
            fontsize=9,
        )
        ax.set_xticks(words)
        ax.set_xticklabels(explanation.tokens, fontsize=8)
    else:
        # Each row on its own scale: the words that matter for each label show.
        rows = heat / heat.abs().amax(dim=1, keepdim=True).clamp(min=1e-12)
        image = ax.imshow(rows.numpy(), aspect="auto", cmap=SIGNED_COLOURS, vmin=-1, vmax=1)
        ax.set_xticks(words)
        ax.set_xticklabels(explanation.tokens, fontsize=7)
        ax.set_yticks(words)
        ax.set_yticklabels(
            [
                f"{t} {label}"
                for t, label in zip(explanation.tokens, explanation.labels, strict=True)
            ],
            fontsize=7,
        )
        ax.set_xlabel("input word", fontsize=8)
        ax.set_title(
            f"saliency ({METHOD_NAMES[explanation.saliency_method]}): each input word's "
            "share in each predicted label's score, each row scaled to its largest",
            fontsize=9,
        )
        figure.colorbar(image, ax=ax, fraction=0.02, pad=0.01)
    return png(figure)


def attention_weights(explanation: Explanation) -> bytes:
    """The pooling head's attention weight of each token (they sum to 1)."""
    assert explanation.attention is not None
    figure = Figure(layout="constrained", figsize=(_width(explanation), 2.6))
    ax = figure.subplots()
    words = list(range(len(explanation.tokens)))
    ax.bar(words, explanation.attention.tolist(), color="#7d3c98")
    ax.set_xticks(words)
    ax.set_xticklabels(explanation.tokens, fontsize=8)
    ax.set_ylabel("weight", fontsize=8)
    ax.set_title("attention of the pooling head (weights sum to 1)", fontsize=9)
    return png(figure)


def sentence_pictures(explanation: Explanation) -> dict[str, bytes]:
    """Every picture of one sentence, by file stem, in reading order."""
    pictures: dict[str, bytes] = {"memory": memory_summary(explanation)}
    if explanation.saliency is not None:
        pictures["saliency"] = saliency_map(explanation)
    if explanation.attention is not None:
        pictures["attention"] = attention_weights(explanation)
    for number, layer in enumerate(explanation.layers):
        for direction in layer:
            pictures[f"gates-layer{number + 1}-{direction}"] = gate_heatmaps(
                explanation, number, direction
            )
    return pictures


def saturation_scatter(stats: GateStats) -> bytes:
    """Per layer and direction, every gate unit at (fraction of tokens below 0.1, fraction
    above 0.9), as in Karpathy et al. (2015), figure 4."""
    keys = list(stats.left)
    columns = 2
    rows = (len(keys) + columns - 1) // columns
    figure = Figure(layout="constrained", figsize=(4.2 * columns, 3.8 * rows))
    axes = figure.subplots(rows, columns, squeeze=False).flatten()
    colours = {"input": "#2471a3", "forget": "#c0392b", "output": "#27ae60"}
    colours.update(reset="#2471a3", update="#c0392b")
    for ax, (layer, direction) in zip(axes, keys, strict=False):
        for gate in stats.gates:
            ax.scatter(
                stats.left[(layer, direction)][gate].numpy(),
                stats.right[(layer, direction)][gate].numpy(),
                s=9,
                alpha=0.6,
                color=colours[gate],
                label=gate,
            )
        ax.plot([0, 1], [1, 0], color="#999", linewidth=0.8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("fraction of tokens left-saturated (< 0.1)", fontsize=8)
        ax.set_ylabel("fraction right-saturated (> 0.9)", fontsize=8)
        ax.set_title(f"layer {layer + 1} {direction}", fontsize=9)
        ax.legend(fontsize=7, loc="upper right")
    for ax in axes[len(keys) :]:
        ax.set_visible(False)
    return png(figure)
