"""entity_scores (seqeval, strict IOB2) reports what CoNLL's conlleval script reports.

The hand case's numbers are derived in comments (and were checked against conlleval.pl,
version 2004-01-26). A line-by-line Python port of conlleval's chunk counting then serves
as the oracle for random, also ill-formed, IOB1/IOB2 sequences: after our repair to IOB2,
seqeval's strict scores equal conlleval's on the raw tags.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.data.schemes import convert_all
from tagger.evaluate import entity_scores

# seqeval averages over no entities with numpy when a side has none; harmless here.
NO_ENTITY_WARNINGS = pytest.mark.filterwarnings(
    "ignore:Mean of empty slice:RuntimeWarning",
    "ignore:invalid value encountered in scalar divide:RuntimeWarning",
)


def sentences(*lines: str) -> list[list[str]]:
    return [line.split() for line in lines]


# Six sentences (31 tokens), IOB2. Words for reading only: the tags are what is scored.
GOLD_IOB2 = sentences(
    "B-PER I-PER O     B-LOC I-LOC O",  # John Smith visited New York .
    "B-ORG I-ORG O     B-PER O",  # Acme Corp hired Mary .
    "B-LOC B-LOC O     O     O",  # Paris Berlin talks ended .   (touching LOCs)
    "B-PER O     B-PER O     B-LOC O",  # Peter met Anna in Rome .
    "O     O     O     O     O",  # the deal was good .
    "B-LOC B-LOC O     O",  # Oslo Rome summit .             (touching LOCs)
)
PRED_IOB2 = sentences(
    "B-PER I-PER O     B-LOC O     O",  # PER right; LOC boundary error (New, not New York)
    "B-ORG I-ORG O     B-LOC O",  # ORG right; type error (Mary as LOC)
    "B-LOC B-LOC O     O     O",  # both touching LOCs right
    "B-PER O     O     O     B-LOC O",  # PER, LOC right; Anna missed
    "O     B-ORG O     O     O",  # a spurious ORG
    "B-LOC I-LOC O     O",  # the two touching LOCs merged into one wrong LOC
)
# The same case as CoNLL-2003 writes it (IOB1): I- opens an entity, B- only between two
# touching entities of one type.
GOLD_IOB1 = sentences(
    "I-PER I-PER O     I-LOC I-LOC O",
    "I-ORG I-ORG O     I-PER O",
    "I-LOC B-LOC O     O     O",
    "I-PER O     I-PER O     I-LOC O",
    "O     O     O     O     O",
    "I-LOC B-LOC O     O",
)
PRED_IOB1 = sentences(
    "I-PER I-PER O     I-LOC O     O",
    "I-ORG I-ORG O     I-LOC O",
    "I-LOC B-LOC O     O     O",
    "I-PER O     O     O     I-LOC O",
    "O     I-ORG O     O     O",
    "I-LOC I-LOC O     O",
)

# What conlleval prints for this case, derived by hand:
#   gold phrases  ("processed 31 tokens with 11 phrases")
#     PER: John Smith, Mary, Peter, Anna = 4;  LOC: New York, Paris, Berlin, Rome, Oslo,
#     Rome = 6;  ORG: Acme Corp = 1                                        -> 11
#   found phrases ("found: 10 phrases")
#     PER: John Smith, Peter = 2;  LOC: New, Mary, Paris, Berlin, Rome, Oslo Rome = 6;
#     ORG: Acme Corp, deal = 2                                             -> 10
#   correct ("correct: 6")
#     PER: John Smith, Peter = 2;  LOC: Paris, Berlin, Rome (sentence 4) = 3;
#     ORG: Acme Corp = 1                                                   -> 6
#   accuracy: tags differ at York, Mary, Anna, deal, Rome (sentence 6): 26 / 31
FOUND_CORRECT = {"PER": 4, "LOC": 6, "ORG": 1}
FOUND_GUESSED = {"PER": 2, "LOC": 6, "ORG": 2}
CORRECT = {"PER": 2, "LOC": 3, "ORG": 1}
N_TOKENS, CORRECT_TAGS = 31, 26
# overall: precision 6/10 = 60.00%; recall 6/11 = 54.55%; FB1 2*6/(10+11) = 4/7 = 57.14
PRECISION, RECALL, F1 = 6 / 10, 6 / 11, 4 / 7
# per type:  PER precision 2/2 = 100.00%, recall 2/4 = 50.00%, FB1 2/3 = 66.67
#            LOC precision 3/6 =  50.00%, recall 3/6 = 50.00%, FB1 1/2 = 50.00
#            ORG precision 1/2 =  50.00%, recall 1/1 = 100.00%, FB1 2/3 = 66.67
PER_TYPE = {
    "PER": (1.0, 0.5, 2 / 3),
    "LOC": (0.5, 0.5, 0.5),
    "ORG": (0.5, 1.0, 2 / 3),
}


# --- conlleval, ported line by line (conlleval.pl 2004-01-26, B/I/E/O part) ---


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    return (prev_tag, tag) in {
        ("B", "B"),
        ("B", "O"),
        ("I", "B"),
        ("I", "O"),
        ("E", "E"),
        ("E", "I"),
        ("E", "O"),
    } or (prev_tag not in ("O", ".") and prev_type != type_)


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    return (prev_tag, tag) in {
        ("B", "B"),
        ("I", "B"),
        ("O", "B"),
        ("O", "I"),
        ("E", "E"),
        ("E", "I"),
        ("O", "E"),
    } or (tag not in ("O", ".") and prev_type != type_)


def _split(tag: str) -> tuple[str, str]:
    prefix, sep, type_ = tag.partition("-")
    return (prefix, type_) if sep else (tag, "")


def conlleval(gold: list[list[str]], predicted: list[list[str]]) -> dict:
    """conlleval's counts; a sentence break is its `-X- O O` line (an O for both sides)."""
    found_correct: Counter[str] = Counter()
    found_guessed: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    tokens = correct_tags = 0
    in_correct = False
    last_c, last_ct, last_g, last_gt = "O", "", "O", ""
    lines = []
    for g_sent, p_sent in zip(gold, predicted, strict=True):
        lines += [(g, p, True) for g, p in zip(g_sent, p_sent, strict=True)] + [("O", "O", False)]
    for g, p, is_token in lines:
        c, ct = _split(g)
        guess, gt = _split(p)
        end_c = _end_of_chunk(last_c, c, last_ct, ct)
        end_g = _end_of_chunk(last_g, guess, last_gt, gt)
        if in_correct:
            if end_c and end_g and last_gt == last_ct:
                in_correct = False
                correct[last_ct] += 1
            elif end_c != end_g or gt != ct:
                in_correct = False
        start_c = _start_of_chunk(last_c, c, last_ct, ct)
        start_g = _start_of_chunk(last_g, guess, last_gt, gt)
        if start_c and start_g and gt == ct:
            in_correct = True
        if start_c:
            found_correct[ct] += 1
        if start_g:
            found_guessed[gt] += 1
        if is_token:
            correct_tags += c == guess and gt == ct
            tokens += 1
        last_c, last_ct, last_g, last_gt = c, ct, guess, gt
    if in_correct:
        correct[last_ct] += 1
    return {
        "found_correct": found_correct,
        "found_guessed": found_guessed,
        "correct": correct,
        "tokens": tokens,
        "correct_tags": correct_tags,
    }


def prf(n_correct: int, n_guessed: int, n_gold: int) -> tuple[float, float, float]:
    precision = n_correct / n_guessed if n_guessed else 0.0
    recall = n_correct / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def assert_scores_match_conlleval(scores: dict, counts: dict) -> None:
    total = {k: sum(counts[k].values()) for k in ("correct", "found_guessed", "found_correct")}
    expected = prf(total["correct"], total["found_guessed"], total["found_correct"])
    assert (scores["precision"], scores["recall"], scores["f1"]) == pytest.approx(expected)
    assert scores["n_entities"] == total["found_correct"]
    types = set(counts["found_correct"]) | set(counts["found_guessed"])
    assert set(scores["per_type"]) == types
    for name in types:
        row = scores["per_type"][name]
        n_correct, n_guessed = counts["correct"][name], counts["found_guessed"][name]
        expected = prf(n_correct, n_guessed, counts["found_correct"][name])
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx(expected), name
        assert row["support"] == counts["found_correct"][name]


# --- the hand case ---


def test_port_reproduces_the_hand_counts() -> None:
    for gold, predicted in ((GOLD_IOB2, PRED_IOB2), (GOLD_IOB1, PRED_IOB1)):
        counts = conlleval(gold, predicted)
        assert counts["found_correct"] == FOUND_CORRECT
        assert counts["found_guessed"] == FOUND_GUESSED
        assert counts["correct"] == CORRECT
        assert (counts["tokens"], counts["correct_tags"]) == (N_TOKENS, CORRECT_TAGS)


def check_hand_numbers(scores: dict) -> None:
    assert scores["precision"] == pytest.approx(PRECISION, abs=1e-12)
    assert scores["recall"] == pytest.approx(RECALL, abs=1e-12)
    assert scores["f1"] == pytest.approx(F1, abs=1e-12)
    assert scores["n_entities"] == sum(FOUND_CORRECT.values()) == 11
    assert scores["per_type"] == {
        name: {
            "precision": pytest.approx(p, abs=1e-12),
            "recall": pytest.approx(r, abs=1e-12),
            "f1": pytest.approx(f, abs=1e-12),
            "support": FOUND_CORRECT[name],
        }
        for name, (p, r, f) in PER_TYPE.items()
    }
    assert scores["n_tokens"] == N_TOKENS
    assert scores["accuracy"] == pytest.approx(CORRECT_TAGS / N_TOKENS)


def test_entity_scores_equal_conlleval_on_iob2() -> None:
    check_hand_numbers(entity_scores(GOLD_IOB2, PRED_IOB2))


def test_entity_scores_equal_conlleval_on_iob1_converted() -> None:
    gold, gold_repairs = convert_all(GOLD_IOB1, "iob1", "iob2")
    predicted, pred_repairs = convert_all(PRED_IOB1, "iob1", "iob2")
    assert (gold, predicted) == (GOLD_IOB2, PRED_IOB2)
    assert gold_repairs == pred_repairs == 0
    check_hand_numbers(entity_scores(gold, predicted))


# --- ill-formed predictions: conlleval counts an I- start; our repair makes seqeval agree ---

GOLD_PLAIN = sentences("O B-PER I-PER O B-LOC", "B-ORG O O")
PRED_ILL = sentences(
    "O I-PER I-PER O I-LOC",  # I- after O: conlleval opens an entity at each
    "I-ORG O I-PER",  # I- at the sentence start; a spurious PER
)
# conlleval: gold 3 (PER, LOC, ORG); found 4 (PER, LOC, ORG, PER); correct 3
#   precision 3/4, recall 3/3, FB1 6/7


def test_ill_formed_predictions_after_repair_match_conlleval() -> None:
    counts = conlleval(GOLD_PLAIN, PRED_ILL)
    assert sum(counts["found_correct"].values()) == 3
    assert sum(counts["found_guessed"].values()) == 4
    assert sum(counts["correct"].values()) == 3

    # seqeval strict IOB2 ignores an entity that opens with I-: it must see repaired tags.
    raw = entity_scores(GOLD_PLAIN, PRED_ILL)
    assert raw["f1"] < 6 / 7

    repaired, n_repairs = convert_all(PRED_ILL, "iob2", "iob2")
    assert repaired == sentences("O B-PER I-PER O B-LOC", "B-ORG O B-PER")
    assert n_repairs == 4
    scores = entity_scores(GOLD_PLAIN, repaired)
    assert (scores["precision"], scores["recall"], scores["f1"]) == pytest.approx((3 / 4, 1, 6 / 7))
    assert_scores_match_conlleval(scores, counts)


@NO_ENTITY_WARNINGS
def test_no_entities_anywhere_scores_zero_like_conlleval() -> None:
    scores = entity_scores(sentences("O O", "O"), sentences("O O", "O"))
    assert (scores["precision"], scores["recall"], scores["f1"]) == (0.0, 0.0, 0.0)
    assert scores["per_type"] == {} and scores["n_entities"] == 0
    assert scores["accuracy"] == 1.0


# --- random sequences: repaired seqeval == conlleval on the raw tags ---

iob_tag = st.one_of(
    st.just("O"),
    st.builds(lambda p, t: f"{p}-{t}", st.sampled_from("BI"), st.sampled_from(("PER", "LOC"))),
)


@st.composite
def gold_and_predicted(draw: st.DrawFn) -> tuple[list[list[str]], list[list[str]]]:
    lengths = draw(st.lists(st.integers(1, 8), min_size=1, max_size=4))
    gold = [draw(st.lists(iob_tag, min_size=n, max_size=n)) for n in lengths]
    predicted = [draw(st.lists(iob_tag, min_size=n, max_size=n)) for n in lengths]
    return gold, predicted


@NO_ENTITY_WARNINGS
@settings(max_examples=150, deadline=None)
@given(gold_and_predicted(), st.sampled_from(("iob1", "iob2")))
def test_repaired_seqeval_equals_conlleval(
    case: tuple[list[list[str]], list[list[str]]], scheme: str
) -> None:
    gold, predicted = case
    counts = conlleval(gold, predicted)  # conlleval reads the raw tags, well-formed or not
    scores = entity_scores(
        convert_all(gold, scheme, "iob2")[0], convert_all(predicted, scheme, "iob2")[0]
    )
    assert_scores_match_conlleval(scores, counts)
