"""Raw text rebuilt from CoNLL-U: sentences, paragraphs, multi-word tokens and errors."""

from __future__ import annotations

from pathlib import Path

from helpers import error_of, write
from treebank import conllu_paragraphs

from tagger.data.raw_text import read_paragraphs

ROW = "\t".join(["{id}", "{form}", *"_" * 7, "{misc}"])


def rows(*tokens: tuple[str, str, str]) -> str:
    return "\n".join(ROW.format(id=i, form=f, misc=m) for i, f, m in tokens)


def test_text_lines_joined_into_paragraphs(tmp_path: Path) -> None:
    path = write(tmp_path, conllu_paragraphs(9, seed=3), "t.conllu")
    texts = [line[9:] for line in path.read_text().splitlines() if line.startswith("# text = ")]
    paragraphs = read_paragraphs(path)
    assert " ".join(p.text for p in paragraphs) == " ".join(texts)
    assert sum(len(p.sentence_ends) for p in paragraphs) == 9
    assert 1 < len(paragraphs) < 9  # the toy treebank has paragraphs of 1-3 sentences
    for p in paragraphs:
        # Every token is located where its surface is, and sentences end at the text ends.
        assert all(p.text[t.start : t.end] for t in p.tokens)
        assert p.tokens[p.sentence_ends[-1]].end == len(p.text)


def test_multiword_token_keeps_surface_and_words(tmp_path: Path) -> None:
    text = "# newpar\n# text = I don't.\n" + rows(
        ("1", "I", "_"), ("2-3", "don't", "SpaceAfter=No")
    )
    text += "\n" + rows(("2", "do", "_"), ("3", "n't", "_"), ("4", ".", "_")) + "\n\n"
    (paragraph,) = read_paragraphs(write(tmp_path, text, "m.conllu"))
    assert paragraph.text == "I don't."
    surfaces = [(paragraph.text[t.start : t.end], t.words) for t in paragraph.tokens]
    assert surfaces == [("I", ("I",)), ("don't", ("do", "n't")), (".", (".",))]


def test_text_from_forms_and_space_after_when_no_text_line(tmp_path: Path) -> None:
    first = rows(("1", "Hello", "SpaceAfter=No"), ("2", ",", "_"), ("3", "world", "_"))
    second = rows(("1", "Bye", "SpaceAfter=No"), ("2", "!", "_"))
    (paragraph,) = read_paragraphs(write(tmp_path, f"{first}\n\n{second}\n\n", "f.conllu"))
    assert paragraph.text == "Hello, world Bye!"  # no paragraph marks: one paragraph
    assert paragraph.sentence_ends == [2, 4]


def test_form_that_disagrees_with_text_names_its_line(tmp_path: Path) -> None:
    text = "# text = I do.\n" + rows(("1", "I", "_"), ("2", "did", "_")) + "\n\n"
    message = error_of(read_paragraphs, write(tmp_path, text, "bad.conllu"))
    assert "bad.conllu:3:" in message and "'did'" in message


def test_text_longer_than_its_tokens_is_an_error(tmp_path: Path) -> None:
    text = "# text = I do it.\n" + rows(("1", "I", "_"), ("2", "do", "_")) + "\n\n"
    message = error_of(read_paragraphs, write(tmp_path, text, "short.conllu"))
    assert "short.conllu:1:" in message  # the # text line and "'it.'" in message


def test_range_without_its_words_is_an_error(tmp_path: Path) -> None:
    text = rows(("1-2", "don't", "_"), ("3", "x", "_")) + "\n\n"
    assert "expected word 1 of the range 1-2" in error_of(
        read_paragraphs, write(tmp_path, text, "r.conllu")
    )
    unfinished = rows(("1-2", "don't", "_"), ("1", "do", "_")) + "\n\n"
    message = error_of(read_paragraphs, write(tmp_path, unfinished, "u.conllu"))
    assert "u.conllu:1:" in message and "words 1-2" in message
