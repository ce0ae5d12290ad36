"""Self-contained HTML: inline CSS, pictures as data URIs, no script, nothing fetched."""

from __future__ import annotations

import base64
import html

from tagger.explain.explanation import Explanation
from tagger.explain.stats import GateStats

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px;
       padding: 0 1em; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
h3 { font-size: 1em; margin-top: 1.5em; }
p.note { color: #555; max-width: 60em; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.tokens td { text-align: center; }
table.tokens td.label { font-weight: 600; }
img { max-width: 100%; height: auto; border: 1px solid #eee; margin: 0.3em 0; }
"""


def data_uri(png: bytes) -> str:
    """A PNG as an img src that needs no file and no network."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def image(png: bytes, alt: str) -> str:
    return f'<img src="{data_uri(png)}" alt="{html.escape(alt)}">'


def document(title: str, body: str) -> str:
    """A whole HTML page around `body`."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def token_table(explanation: Explanation) -> str:
    """The sentence, a cell per token, with the predicted label and its probability under
    each token (token models) or the sentence's label and class probabilities."""
    cells = "".join(f"<td>{html.escape(t)}</td>" for t in explanation.tokens)
    rows = [f"<tr><th>token</th>{cells}</tr>"]
    if explanation.classes is not None:  # a sentence model
        classes = ", ".join(f"{html.escape(k)} {v:.3f}" for k, v in explanation.classes.items())
        label = html.escape(explanation.labels[0])
        caption = f"<p>label <b>{label}</b> ({explanation.probs[0]:.3f}); classes: {classes}</p>"
        if explanation.attention is not None:
            weights = "".join(
                f'<td class="num">{w:.2f}</td>' for w in explanation.attention.tolist()
            )
            rows.append(f"<tr><th>attention</th>{weights}</tr>")
        return caption + f'<table class="tokens">{"".join(rows)}</table>'
    labels = "".join(f'<td class="label">{html.escape(x)}</td>' for x in explanation.labels)
    probs = "".join(f'<td class="num">{p:.2f}</td>' for p in explanation.probs)
    rows += [f"<tr><th>label</th>{labels}</tr>", f"<tr><th>probability</th>{probs}</tr>"]
    return f'<table class="tokens">{"".join(rows)}</table>'


CAPTIONS = {
    "memory": "Per token, the mean over units of the gate that keeps the memory (forget; "
    "update for a GRU) and of the one that writes to it (input; reset for a GRU), for "
    "each layer and direction. A dip in the forget gate is a word that makes the LSTM "
    "drop what it carried.",
    "saliency": "How much each input word moves the score (logit) of each predicted label: "
    "integrated gradients (zero baseline, over the token features) for sentence models, "
    "gradient x input for taggers. Red raises it, blue lowers it.",
    "attention": "The attention weights of the pooling head: how much of each token's "
    "state goes into the sentence vector.",
    "gates": "Every gate (in [0, 1]), the candidate, the cell and the hidden state (signed) "
    "as units x tokens heatmaps; units are sorted by their mean, so units that stay open "
    "or closed through the sentence gather at the top and the bottom.",
}


def sentence_section(explanation: Explanation, pictures: dict[str, bytes], number: int) -> str:
    """One explained sentence: its table and every picture with a caption."""
    parts = [f"<h2>Sentence {number}</h2>", token_table(explanation)]
    for name in ("memory", "saliency", "attention"):
        if name in pictures:
            parts += [f"<h3>{name}</h3>", f'<p class="note">{CAPTIONS[name]}</p>']
            parts.append(image(pictures[name], f"{name} of sentence {number}"))
    gates = [name for name in pictures if name.startswith("gates-")]
    if gates:
        parts += ["<h3>gates</h3>", f'<p class="note">{CAPTIONS["gates"]}</p>']
        parts += [image(pictures[name], f"{name} of sentence {number}") for name in gates]
    return "\n".join(parts)


def stats_page(stats: GateStats, picture: bytes, model: str, corpus: str) -> str:
    """The --stats page: the saturation table, the scatter plot and the listed units."""
    rows = "".join(
        f"<tr><td>{r['layer']}</td><td>{r['direction']}</td><td>{r['gate']}</td>"
        f'<td class="num">{100 * r["left_saturated"]:.1f}</td>'
        f'<td class="num">{100 * r["right_saturated"]:.1f}</td>'
        f'<td class="num">{r["mean"]:.3f}</td></tr>'
        for r in stats.table()
    )
    table = (
        "<table><tr><th>layer</th><th>direction</th><th>gate</th><th>% units left-saturated</th>"
        f"<th>% units right-saturated</th><th>mean value</th></tr>{rows}</table>"
    )
    units = []
    for (layer, direction), found in stats.units.items():
        for unit in found:
            forgets = ", ".join(html.escape(w) for w, _ in unit["forgets_at"])
            keeps = ", ".join(html.escape(w) for w, _ in unit["keeps_at"])
            mean = unit[f"mean_{stats.keep_gate}"]
            units.append(
                f"<tr><td>{layer + 1} {direction}</td><td>{unit['unit']}</td>"
                f"<td>{unit['kind']}</td>"
                f'<td class="num">{mean:.3f}</td><td>{forgets}</td><td>{keeps}</td></tr>'
            )
    unit_table = (
        f"<table><tr><th>layer</th><th>unit</th><th>kind</th><th>mean {stats.keep_gate}</th>"
        f"<th>lowest {stats.keep_gate} at (forgets)</th><th>highest at (keeps)</th></tr>"
        f"{''.join(units)}</table>"
    )
    note = (
        f'<p class="note">{stats.tokens} tokens of {html.escape(corpus)}. A unit is '
        "left-saturated when its gate is below 0.1 on more than half of the tokens, "
        "right-saturated when above 0.9 on more than half (Karpathy et al. 2015).</p>"
    )
    body = "\n".join(
        [
            note,
            "<h2>Saturation</h2>",
            table,
            image(picture, "saturation scatter"),
            "<h2>Forgetful and retentive units</h2>",
            unit_table,
        ]
    )
    return document(f"{model}: gate statistics", body)
