"""explain for spaCy users: the bilstm_tagger component of a pipeline and a Doc."""

from __future__ import annotations

from typing import Any

from tagger.explain.explanation import Explanation, explain


def explain_doc(component: Any, doc: Any, saliency: str = "auto") -> Explanation:
    """Explain what a `bilstm_tagger` component does with a Doc: the words it labels (the
    Doc's non-space tokens, as the component reads them), with every gate, the attention
    and the saliency. `component` is `nlp.get_pipe("bilstm_tagger")`, or a pipeline
    holding one."""
    if hasattr(component, "get_pipe"):  # a Language: find its component
        names = [name for name, pipe in component.pipeline if hasattr(pipe, "predictor")]
        if not names:
            raise ValueError("explain_doc: the pipeline has no bilstm_tagger component")
        component = component.get_pipe(names[0])
    words = [t.text for t in doc if not t.is_space]
    return explain(component.predictor, words, saliency=saliency)
