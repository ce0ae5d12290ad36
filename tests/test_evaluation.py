"""One evaluation: the P/R/F type, each task's typed result and its JSON (exactly what
`tagger evaluate --json` printed before results were typed), and the one printer."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tagger.evaluate import evaluate_examples, format_evaluation
from tagger.scores import PRF, Evaluation, entity_scores, sentence_scores, tag_scores
from tagger.tasks import get_task
from tagger.tokenizer.score import segmentation_scores

TAG = ([["DET", "NOUN", "VERB"], ["NOUN"]], [["DET", "VERB", "VERB"], ["NOUN"]])
NER = (
    [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG"]],
    [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG"]],
)
# "neu" is a gold label the model lacks: a wrong answer outside the confusion matrix.
SENTENCES = (["neg", "pos", "pos", "neu"], ["neg", "neg", "pos", "pos"], ["neg", "pos", "neutral"])
# "Its" is a multi-word token in gold, one plain token predicted; "ok." is split in gold.
CHARACTERS = ([list("Its ok.")], [list("IIMOIES")], [list("IIEOIIS")])


def evaluations() -> dict[str, Evaluation]:
    """One evaluation of each task on the fixed inputs above."""
    return {
        "pos": tag_scores(*TAG),
        "ner": entity_scores(*NER),
        "ner without entities": entity_scores([["O", "O"]], [["O", "O"]]),
        "sentiment": sentence_scores(*SENTENCES, allow_unknown=True),
        "tokenize": segmentation_scores(*CHARACTERS),
    }


def test_prf_of_counts() -> None:
    assert PRF.of(2, 4, 2) == PRF(1.0, 0.5, 2 / 3, 4)
    assert PRF.of(1, 2, 3) == PRF(1 / 3, 0.5, pytest.approx(0.4), 2)
    assert PRF.of(2, 4, 2).to_json() == {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 4}


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((0, 0, 0), PRF(0.0, 0.0, 0.0, 0)),  # nothing on either side
        ((0, 3, 0), PRF(0.0, 0.0, 0.0, 3)),  # nothing predicted
        ((0, 0, 2), PRF(0.0, 0.0, 0.0, 0)),  # nothing in gold
        ((0, 3, 2), PRF(0.0, 0.0, 0.0, 3)),  # nothing right
    ],
)
def test_prf_of_zero_counts_is_zero_not_an_error(counts: tuple, expected: PRF) -> None:
    assert PRF.of(*counts) == expected


JSON = {
    "pos": '{"accuracy": 0.75, "n_tokens": 4, "n_sentences": 2, "per_label": {"DET": '
    '{"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}, "NOUN": {"precision": 1.0, '
    '"recall": 0.5, "f1": 0.6666666666666666, "support": 2}, "VERB": {"precision": 0.5, '
    '"recall": 1.0, "f1": 0.6666666666666666, "support": 1}}}',
    "ner": '{"accuracy": 0.8, "n_tokens": 5, "n_sentences": 2, "per_label": {"B-LOC": '
    '{"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}, "B-ORG": {"precision": 0.5, '
    '"recall": 1.0, "f1": 0.6666666666666666, "support": 1}, "B-PER": {"precision": 1.0, '
    '"recall": 1.0, "f1": 1.0, "support": 1}, "I-PER": {"precision": 1.0, "recall": 1.0, '
    '"f1": 1.0, "support": 1}, "O": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}}, '
    '"precision": 0.6666666666666666, "recall": 0.6666666666666666, "f1": 0.6666666666666666, '
    '"n_entities": 3, "per_type": {"LOC": {"precision": 0.0, "recall": 0.0, "f1": 0.0, '
    '"support": 1}, "ORG": {"precision": 0.5, "recall": 1.0, "f1": 0.6666666666666666, '
    '"support": 1}, "PER": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}}}',
    "ner without entities": '{"accuracy": 1.0, "n_tokens": 2, "n_sentences": 1, "per_label": '
    '{"O": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}}, "precision": 0.0, '
    '"recall": 0.0, "f1": 0.0, "n_entities": 0, "per_type": {}}',
    "sentiment": '{"accuracy": 0.5, "macro_f1": 0.4444444444444444, "n_sentences": 4, '
    '"per_class": {"neg": {"precision": 0.5, "recall": 1.0, "f1": 0.6666666666666666, '
    '"support": 1}, "pos": {"precision": 1.0, "recall": 0.5, "f1": 0.6666666666666666, '
    '"support": 2}, "neutral": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}}, '
    '"labels": ["neg", "pos", "neutral"], "confusion": [[1, 0, 0], [1, 1, 0], [0, 0, 0]]}',
    "tokenize": '{"tokens": {"precision": 0.5, "recall": 0.3333333333333333, "f1": 0.4, '
    '"support": 3}, "sentences": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}, '
    '"multiword": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}, '
    '"accuracy": 0.7142857142857143, "n_chars": 7, "n_texts": 1}',
}


@pytest.mark.parametrize("name", list(JSON))
def test_to_json_is_the_json_results_had_before_they_were_typed(name: str) -> None:
    evaluation = evaluations()[name]
    assert json.dumps(evaluation.to_json()) == JSON[name]  # keys in the same order too
    assert dict(evaluation) == json.loads(JSON[name])  # read as a mapping, it is its JSON
    assert len(evaluation) == len(json.loads(JSON[name]))


def test_typed_fields_and_json_keys_agree() -> None:
    found = evaluations()
    pos, ner, sentiment = found["pos"], found["ner"], found["sentiment"]
    assert pos["per_label"]["NOUN"]["recall"] == pos.per_label["NOUN"].recall == 0.5
    assert ner.entities == PRF(2 / 3, 2 / 3, pytest.approx(2 / 3), 3)
    assert ner.per_type["ORG"] == PRF(0.5, 1.0, pytest.approx(2 / 3), 1)
    assert sentiment.confusion == ((1, 0, 0), (1, 1, 0), (0, 0, 0))
    assert found["tokenize"].tokens == PRF(0.5, 1 / 3, pytest.approx(0.4), 3)


def test_each_task_reads_its_main_score_and_table_from_its_evaluation() -> None:
    found = evaluations()
    assert get_task("pos").main_score(found["pos"]) == 0.75
    assert get_task("ner").main_score(found["ner"]) == pytest.approx(2 / 3)
    assert get_task("sentiment").main_score(found["sentiment"]) == 0.5
    assert get_task("tokenize").main_score(found["tokenize"]) == pytest.approx((0.4 + 1 + 0) / 3)
    assert get_task("ner").headline(found["ner"]) == "entity F1 66.67"
    assert get_task("sentiment").headline(found["sentiment"]) == "accuracy 50.00, macro-F1 44.44"
    assert list(get_task("ner").per_label_table(found["ner"])) == ["LOC", "ORG", "PER"]
    table = get_task("sentiment").per_label_table(found["sentiment"])
    assert table["pos"] == {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}


def test_evaluate_examples_scores_what_the_task_predicts_for_dev() -> None:
    """The trainer's dev score: the task's dev predictions (NER asks for IOB2) scored."""
    asked = []

    def predict(
        tokens: list[list[str]], scheme: str = "", documents: list[int] | None = None
    ) -> list[list[str]]:
        asked.append((scheme, documents))
        return NER[1]

    predictor = SimpleNamespace(task=get_task("ner"), labels=["O"], predict=predict)
    tokens = [["w"] * len(s) for s in NER[0]]
    assert evaluate_examples(predictor, tokens, NER[0]) == entity_scores(*NER)
    documents = list(range(len(tokens)))
    assert evaluate_examples(predictor, tokens, NER[0], documents) == entity_scores(*NER)
    assert asked == [("iob2", None), ("iob2", documents)]


REPORTS = {
    "pos": """\
accuracy  75.00  (4 tokens, 2 sentences)

label        precision    recall        f1   support
DET             100.00    100.00    100.00         1
NOUN            100.00     50.00     66.67         2
VERB             50.00    100.00     66.67         1""",
    "ner": """\
accuracy  80.00  (5 tokens, 2 sentences)
entities  precision 66.67  recall 66.67  f1 66.67  (3 gold entities, seqeval strict IOB2)

label        precision    recall        f1   support
LOC               0.00      0.00      0.00         1
ORG              50.00    100.00     66.67         1
PER             100.00    100.00    100.00         1""",
    "ner without entities": """\
accuracy  100.00  (2 tokens, 1 sentences)
entities  precision 0.00  recall 0.00  f1 0.00  (0 gold entities, seqeval strict IOB2)

label        precision    recall        f1   support""",
    "sentiment": """\
accuracy  50.00  macro-F1 44.44  (4 sentences)

label        precision    recall        f1   support
neg              50.00    100.00     66.67         1
pos             100.00     50.00     66.67         2
neutral           0.00      0.00      0.00         0

confusion (rows gold, columns predicted)
                 neg     pos neutral
neg                1       0       0
pos                1       1       0
neutral            0       0       0""",
    "tokenize": """\
             precision    recall        f1   support
tokens           50.00     33.33     40.00         3
sentences       100.00    100.00    100.00         1
multiword         0.00      0.00      0.00         1
characters labelled right 71.43  (7 characters, 1 paragraphs)""",
}


@pytest.mark.parametrize("name", list(REPORTS))
def test_one_printer_prints_each_task_as_before(name: str) -> None:
    assert format_evaluation(evaluations()[name]) == REPORTS[name]
