"""CoNLL 2018 scores on hand-made gold/system pairs, every count worked out in a comment."""

from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path

import pytest

from tagger.conll18 import (
    Score,
    UDWord,
    evaluate_documents,
    format_scores,
    read_conllu_document,
    read_conllu_file,
)

EWT_TEST = (
    Path(__file__).resolve().parents[2] / "shared/corpora/ud-english-ewt/en_ewt-ud-test.conllu"
)


def conllu(text: str) -> str:
    """Returns CoNLL-U for compact lines "ID FORM [UPOS]"; comments and blank lines kept."""
    rows = []
    for line in textwrap.dedent(text).strip("\n").split("\n"):
        if not line or line.startswith("#"):
            rows.append(line)
            continue
        word_id, form, *upos = line.split()
        rows.append("\t".join([word_id, form, "_", *(upos or ["_"]), *["_"] * 6]))
    return "\n".join(rows) + "\n\n"


def counts(gold: str, system: str) -> dict[str, tuple[int, int, int]]:
    """Returns metric -> (correct, gold, system) for two CoNLL-U strings."""
    scores = evaluate_documents(read_conllu_document(gold), read_conllu_document(system))
    return {name: (s.correct, s.gold, s.system) for name, s in scores.items()}


# Characters "Don'tgo.Hi"; tokens Don't [0,5) go [5,7) . [7,8) Hi [8,10); 5 words;
# sentences [0,8) [8,10). The comment and the empty node 1.1 add nothing.
IDENTICAL = conllu("""
    # text = Don't go.
    1-2 Don't
    1 Do AUX
    2 n't PART
    3 go VERB
    4 . PUNCT

    1 Hi INTJ
    1.1 hello X
""")

# Characters "don'tgo"; tokens don't [0,5) go [5,7); words do, n't (both [0,5), multiword), go.
GOLD_MWT = conllu("""
    1-2 don't
    1 do AUX
    2 n't PART
    3 go VERB
""")


def test_reading_spans_words_and_sentences() -> None:
    doc = read_conllu_document(IDENTICAL)
    assert doc.characters == "Don'tgo.Hi"
    assert doc.tokens == [(0, 5), (5, 7), (7, 8), (8, 10)]
    assert doc.sentences == [(0, 8), (8, 10)]
    assert doc.words == [
        UDWord(0, 5, "Do", "AUX", multiword=True),
        UDWord(0, 5, "n't", "PART", multiword=True),
        UDWord(5, 7, "go", "VERB", multiword=False),
        UDWord(7, 8, ".", "PUNCT", multiword=False),
        UDWord(8, 10, "Hi", "INTJ", multiword=False),
    ]


def test_identical_files_score_100_everywhere() -> None:
    # 4 tokens, 2 sentences, 5 words (2 of them in the multi-word token), all equal.
    assert counts(IDENTICAL, IDENTICAL) == {
        "Tokens": (4, 4, 4),
        "Sentences": (2, 2, 2),
        "Words": (5, 5, 5),
        "UPOS": (5, 5, 5),
    }
    scores = evaluate_documents(read_conllu_document(IDENTICAL), read_conllu_document(IDENTICAL))
    assert all(s.precision == s.recall == s.f1 == 1.0 for s in scores.values())


def test_gold_token_split_by_the_system() -> None:
    gold = conllu("1 Send VERB\n2 e-mail NOUN\n3 now ADV")
    system = conllu("1 Send VERB\n2 e NOUN\n3 - PUNCT\n4 mail NOUN\n5 now ADV")
    # "Sende-mailnow": gold [0,4) [4,10) [10,13); system [0,4) [4,5) [5,6) [6,10) [10,13).
    # Send and now match: 2 correct of 3 gold, 5 system; the same for words and UPOS.
    assert counts(gold, system) == {
        "Tokens": (2, 3, 5),
        "Sentences": (1, 1, 1),
        "Words": (2, 3, 5),
        "UPOS": (2, 3, 5),
    }
    tokens = Score(2, 3, 5)
    assert (tokens.precision, tokens.recall, tokens.f1) == (0.4, 2 / 3, 0.5)  # F1 = 2*2/(3+5)


def test_gold_tokens_merged_by_the_system() -> None:
    gold = conllu("1 New PROPN\n2 York PROPN\n3 is AUX")
    system = conllu("1 NewYork PROPN\n2 is AUX")
    # "NewYorkis": gold [0,3) [3,7) [7,9); system [0,7) [7,9); only "is" matches.
    assert counts(gold, system) == {
        "Tokens": (1, 3, 2),
        "Sentences": (1, 1, 1),
        "Words": (1, 3, 2),
        "UPOS": (1, 3, 2),
    }


def test_multiword_token_against_one_plain_word() -> None:
    system = conllu("1 don't AUX\n2 go VERB")
    # Tokens [0,5) [5,7) on both sides: 2 of 2. Words: the region [0,5) holds gold do, n't
    # and system don't; no lower-cased forms are equal, so 0 align there; go aligns: 1.
    assert counts(GOLD_MWT, system) == {
        "Tokens": (2, 2, 2),
        "Sentences": (1, 1, 1),
        "Words": (1, 3, 2),
        "UPOS": (1, 3, 2),
    }
    # The other way round: 1 aligned word of 2 gold, 3 system.
    assert counts(system, GOLD_MWT)["Words"] == (1, 2, 3)


def test_multiword_token_against_the_same_multiword_token() -> None:
    system = GOLD_MWT.replace("n't\t_\tPART", "n't\t_\tADV")
    # do, n't, go all align (3 of 3); n't has the wrong UPOS, so UPOS is 2 of 3.
    assert counts(GOLD_MWT, system) == {
        "Tokens": (2, 2, 2),
        "Sentences": (1, 1, 1),
        "Words": (3, 3, 3),
        "UPOS": (2, 3, 3),
    }


def test_multiword_token_with_other_word_forms() -> None:
    system = conllu("1-2 don't\n1 DO AUX\n2 not PART\n3 go VERB")
    # Region [0,5): gold (do, n't), system (DO, not); lower-cased, their longest common
    # subsequence is "do", so 1 aligns there, and go after it: 2 of 3 words, both UPOS equal.
    assert counts(GOLD_MWT, system) == {
        "Tokens": (2, 2, 2),
        "Sentences": (1, 1, 1),
        "Words": (2, 3, 3),
        "UPOS": (2, 3, 3),
    }


def test_multiword_token_against_plain_words_with_its_forms() -> None:
    system = conllu("1 do AUX\n2 n't PART\n3 go VERB")
    # Tokens: system [0,2) [2,5) [5,7) against gold [0,5) [5,7): only go, 1 of 2 gold, 3 system.
    # Words: system do [0,2) and n't [2,5) end inside the region [0,5), and their forms equal
    # gold's, so all 3 words align.
    assert counts(GOLD_MWT, system) == {
        "Tokens": (1, 2, 3),
        "Sentences": (1, 1, 1),
        "Words": (3, 3, 3),
        "UPOS": (3, 3, 3),
    }


def test_missed_sentence_break() -> None:
    gold = conllu("1 Hi INTJ\n2 . PUNCT\n\n1 Bye INTJ\n2 . PUNCT")
    system = conllu("1 Hi INTJ\n2 . PUNCT\n3 Bye INTJ\n4 . PUNCT")
    # "Hi.Bye.": gold sentences [0,3) [3,7), system [0,7): none equal, precision 0/1, recall 0/2.
    assert counts(gold, system) == {
        "Tokens": (4, 4, 4),
        "Sentences": (0, 2, 1),
        "Words": (4, 4, 4),
        "UPOS": (4, 4, 4),
    }
    sentences = Score(0, 2, 1)
    assert (sentences.precision, sentences.recall, sentences.f1) == (0.0, 0.0, 0.0)


def test_upos_differs_on_an_aligned_word() -> None:
    gold = conllu("1 I PRON\n2 run VERB")
    system = conllu("1 I PRON\n2 run NOUN")
    # Both words align; only I has the same UPOS: 1 of 2.
    assert counts(gold, system) == {
        "Tokens": (2, 2, 2),
        "Sentences": (1, 1, 1),
        "Words": (2, 2, 2),
        "UPOS": (1, 2, 2),
    }


def test_whitespace_inside_forms_is_not_part_of_the_characters() -> None:
    rest = "\t_\tPROPN\t_\t_\t_\t_\t_\t_"
    gold = f"1\tNew York{rest}\n2\t10\u00a0000{rest}\n\n"
    system = conllu("1 New PROPN\n2 York PROPN\n3 10000 PROPN")
    doc = read_conllu_document(gold)
    assert doc.characters == "NewYork10000"
    assert doc.words[0].form == "NewYork"
    # gold [0,7) [7,12); system [0,3) [3,7) [7,12): 10000 matches, 1 of 2 gold, 3 system.
    assert counts(gold, system) == {
        "Tokens": (1, 2, 3),
        "Sentences": (1, 1, 1),
        "Words": (1, 2, 3),
        "UPOS": (1, 2, 3),
    }


def test_different_characters_raise() -> None:
    gold = read_conllu_document(conllu("1 the DET\n2 cat NOUN"))
    system = read_conllu_document(conllu("1 the DET\n2 cut NOUN"))
    with pytest.raises(ValueError, match=r"offset 4 .*gold 'at', system 'ut'"):
        evaluate_documents(gold, system)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1\tcat\tNOUN\n", "bad.conllu:1: expected 10 tab-separated columns, got 3"),
        (conllu("1-2 don't\n1 do\n\n1 go"), "bad.conllu:3: expected word 2 of the multi-word"),
        (conllu("1-2 don't\n1-2 don't"), "bad.conllu:2: expected word 1 of the multi-word"),
        (conllu("1 a\n2-3 bc"), "bad.conllu:3: expected word 2 of the multi-word"),
        (conllu("1 a\nx b"), "bad.conllu:2: expected an integer ID"),
        (conllu("1 a\n3 b"), "bad.conllu:2: expected ID 2 or range 2-N, got 3"),
    ],
)
def test_malformed_lines_raise_with_the_line_number(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        read_conllu_document(text, name="bad.conllu")


def test_read_conllu_file_names_the_file(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.conllu", tmp_path / "bad.conllu"
    good.write_text(IDENTICAL, encoding="utf-8")
    bad.write_text(conllu("1 a\n2 b") + "1\tc\n", encoding="utf-8")
    assert read_conllu_file(good) == read_conllu_document(IDENTICAL)
    with pytest.raises(ValueError, match=re.escape(f"{bad}:4: expected 10")):
        read_conllu_file(bad)


def test_format_scores_is_a_table_in_percent() -> None:
    table = format_scores({"Tokens": Score(2, 3, 5), "Sentences": Score(0, 2, 1)})
    assert table.splitlines()[0].split() == ["Metric", "|", "Precision", "|", "Recall", "|", "F1"]
    assert table.splitlines()[2].split() == ["Tokens", "|", "40.00", "|", "66.67", "|", "50.00"]
    assert table.splitlines()[3].split() == ["Sentences", "|", "0.00", "|", "0.00", "|", "0.00"]


def test_real_treebank_against_itself_scores_100_quickly() -> None:
    if not EWT_TEST.is_file():
        pytest.skip("../shared/corpora/ud-english-ewt not present")
    began = time.perf_counter()
    doc = read_conllu_file(EWT_TEST)
    scores = evaluate_documents(doc, doc)
    assert time.perf_counter() - began < 10  # about 0.1 s here
    assert any(word.multiword for word in doc.words)
    for score in scores.values():
        assert score.correct == score.gold == score.system > 0
