"""How token tags and entities are written into spaCy Docs (tasks' `annotate`)."""

from __future__ import annotations

from typing import Any


def set_token_tags(component: Any, docs: list, guesses: list[Any]) -> None:
    """Tags into token.pos_ or token.tag_ (the component's attribute); with pos, spaCy's
    own whitespace tokens get SPACE. Existing values are kept unless `overwrite`."""
    attribute, overwrite = component.attribute, component.overwrite
    for doc, (tags, _) in zip(docs, guesses, strict=True):
        tokens = [t for t in doc if not t.is_space]
        _set_tags(tokens, tags, attribute, overwrite)
        if attribute == "pos" and len(tokens) < len(doc):  # spaCy's own SPACE
            spaces = [t for t in doc if t.is_space]
            _set_tags(spaces, ["SPACE"] * len(spaces), attribute, overwrite)


def _set_tags(tokens: list, tags: list[str], attribute: str, overwrite: bool) -> None:
    for token, tag in zip(tokens, tags, strict=True):
        if attribute == "pos" and (overwrite or not token.pos_):
            token.pos_ = tag
        elif attribute == "tag" and (overwrite or not token.tag_):
            token.tag_ = tag


def set_entities(component: Any, docs: list, guesses: list[Any]) -> None:
    """IOB2 tags as doc.ents, each span's confidence its tags' mean probability (in the
    component's `score_extension`). Without
    `overwrite`, existing entities stay and predictions fill only free tokens."""
    from spacy.tokens import Span

    from tagger.data.schemes import spans

    for doc, (tags, scores) in zip(docs, guesses, strict=True):
        tokens = [t for t in doc if not t.is_space]
        found = []
        for start, end, label in spans(tags, "iob2"):
            span = Span(doc, tokens[start].i, tokens[end - 1].i + 1, label=label)
            span._.set(component.score_extension, sum(scores[start:end]) / (end - start))
            found.append(span)
        if component.overwrite or not doc.ents:
            doc.ents = found
        else:  # keep every existing entity; add predictions only where there is none
            taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
            found = [s for s in found if taken.isdisjoint(range(s.start, s.end))]
            doc.set_ents(found, default="unmodified")
