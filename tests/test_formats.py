"""Each output format, written exactly; CoNLL-U output parses back to the same tokens."""

from __future__ import annotations

import io
import json
import re

import pytest

from tagger.formats import (
    FORMATS,
    ClassifiedText,
    FormatError,
    SentenceWriter,
    TaggedSentence,
    escape,
    unescape,
    write_classified,
    write_sentences,
)

SENTENCES = [
    TaggedSentence(["Zoë", "runs", "."], ["PROPN", "VERB", "PUNCT"], text="Zoë runs."),
    TaggedSentence(["U.K.", "$", "1"], ["PROPN", "SYM", "NUM"]),
]


def written(fmt: str, tag_field: str = "upos") -> str:
    out = io.StringIO()
    write_sentences(SENTENCES, fmt, out, tag_field=tag_field)
    return out.getvalue()


def test_conllu_upos() -> None:
    assert written("conllu") == (
        "# sent_id = 1\n"
        "# text = Zoë runs.\n"
        "1\tZoë\t_\tPROPN\t_\t_\t_\t_\t_\t_\n"
        "2\truns\t_\tVERB\t_\t_\t_\t_\t_\t_\n"
        "3\t.\t_\tPUNCT\t_\t_\t_\t_\t_\t_\n"
        "\n"
        "# sent_id = 2\n"
        "1\tU.K.\t_\tPROPN\t_\t_\t_\t_\t_\t_\n"
        "2\t$\t_\tSYM\t_\t_\t_\t_\t_\t_\n"
        "3\t1\t_\tNUM\t_\t_\t_\t_\t_\t_\n"
        "\n"
    )


def test_conllu_xpos_fills_the_fifth_column() -> None:
    rows = [line.split("\t") for line in written("conllu", "xpos").splitlines() if "\t" in line]
    assert [row[3] for row in rows] == ["_"] * 6
    assert [row[4] for row in rows] == ["PROPN", "VERB", "PUNCT", "PROPN", "SYM", "NUM"]


def test_conllu_round_trip() -> None:
    sentences, current = [], []
    for line in written("conllu").split("\n"):
        if not line:
            if current:
                sentences.append(current)
            current = []
        elif not line.startswith("#"):
            columns = line.split("\t")
            assert len(columns) == 10
            assert columns[0] == str(len(current) + 1)
            current.append((columns[1], columns[3]))
    assert sentences == [list(zip(s.tokens, s.tags, strict=True)) for s in SENTENCES]


def test_conllu_sent_ids_continue_across_writes() -> None:
    out = io.StringIO()
    writer = SentenceWriter(out, "conllu")
    for sentence in SENTENCES + SENTENCES:
        writer.write(sentence)
    ids = [line for line in out.getvalue().splitlines() if line.startswith("# sent_id")]
    assert ids == [f"# sent_id = {i}" for i in range(1, 5)]


def test_conllu_text_comment_stays_on_one_line() -> None:
    out = io.StringIO()
    write_sentences([TaggedSentence(["a", "b"], ["X", "X"], text="a\nb")], "conllu", out)
    assert out.getvalue().splitlines()[1] == "# text = a b"


def test_conll() -> None:
    assert written("conll") == (
        "Zoë\tPROPN\nruns\tVERB\n.\tPUNCT\n\nU.K.\tPROPN\n$\tSYM\n1\tNUM\n\n"
    )


def test_jsonl() -> None:
    text = written("jsonl")
    assert text == (
        '{"text": "Zoë runs.", "tokens": ["Zoë", "runs", "."], '
        '"tags": ["PROPN", "VERB", "PUNCT"]}\n'
        '{"text": null, "tokens": ["U.K.", "$", "1"], "tags": ["PROPN", "SYM", "NUM"]}\n'
    )
    assert [json.loads(line)["tokens"] for line in text.splitlines()] == [
        s.tokens for s in SENTENCES
    ]


def test_text() -> None:
    assert written("text") == "Zoë/PROPN runs/VERB ./PUNCT\nU.K./PROPN $/SYM 1/NUM\n"


def test_writing_streams_from_a_generator() -> None:
    out = io.StringIO()
    write_sentences((s for s in SENTENCES), "text", out)
    assert out.getvalue().count("\n") == 2


def test_unknown_format_lists_the_formats() -> None:
    with pytest.raises(ValueError, match="conllu.*conll.*jsonl.*text"):
        write_sentences(SENTENCES, "xml", io.StringIO())
    assert FORMATS == ("conllu", "conll", "jsonl", "text")


def test_unknown_conllu_tag_field() -> None:
    with pytest.raises(ValueError, match="upos"):
        write_sentences(SENTENCES, "conllu", io.StringIO(), tag_field="ner")


def test_tokens_and_tags_must_align() -> None:
    with pytest.raises(ValueError, match="2 tokens but 1 tags"):
        TaggedSentence(["a", "b"], ["X"])


def one(sentence: TaggedSentence, fmt: str, tag_field: str = "upos") -> str:
    out = io.StringIO()
    write_sentences([sentence], fmt, out, tag_field=tag_field)
    return out.getvalue()


def test_escape_and_unescape() -> None:
    field = "a\\b\tc\rd\ne\x0bf\x1cg\x85h\u2028i\u2029j\xa0k/ l"
    assert escape(field) == r"a\\b\tc\rd\ne\x0bf\x1cg\x85h\u2028i\u2029j" + "\xa0k/ l"
    assert escape(field, " /").endswith("\xa0k\\x2f\\x20l")
    assert unescape(escape(field)) == unescape(escape(field, " /")) == field
    for bad in ("a\\", "\\q", "\\x4", "\\u20"):
        with pytest.raises(ValueError, match="expected an escape"):
            unescape(bad)


def test_text_escapes_tokens_and_tags() -> None:
    sentence = TaggedSentence(["a\u2028b", "c\\d", "x/y"], ["X/Y", "Z", "W"])
    assert one(sentence, "text") == r"a\u2028b/X\x2fY c\\d/Z x/y/W" + "\n"


def test_sentence_text_is_one_line_of_two_fields() -> None:
    item = ClassifiedText("a\tb\rc\\d\x0ce\u2029", ["a"], "pos", {"pos": 1.0})
    out = io.StringIO()
    write_classified([item], "text", out)
    assert out.getvalue() == "pos\t" + r"a\tb\rc\\d\x0ce\u2029" + "\n"


def test_jsonl_escapes_what_splitlines_breaks_at() -> None:
    tokens = ["a\u2028b", "c\x85d", "e\u2029\x1c\r"]
    text = one(TaggedSentence(tokens, ["X"] * 3, text="a\u2028b"), "jsonl")
    assert "\\u2028" in text and "\u2028" not in text and "\x85" not in text
    [line] = text.splitlines()
    assert json.loads(line)["tokens"] == tokens


def test_jsonl_is_strict_json() -> None:
    with pytest.raises(ValueError, match="JSON"):
        one(TaggedSentence(["a"], ["X"], scores=[float("nan")]), "jsonl")


def test_conllu_form_keeps_spaces_and_no_break_spaces() -> None:
    rows = one(TaggedSentence(["New York", "a\xa0b\x1f"], ["X", "Y"]), "conllu").splitlines()
    assert [row.split("\t")[1] for row in rows[1:3]] == ["New York", "a\xa0b\x1f"]


@pytest.mark.parametrize(
    ("fmt", "tag_field", "tokens", "tags", "refused"),
    [
        ("conllu", "upos", ["a", "b\tc"], ["X", "X"], "the token 'b\\tc'"),
        ("conllu", "upos", ["a\x0bb"], ["X"], "U+000B"),
        ("conllu", "misc", ["a"], ["B|X"], "the tag 'B|X'"),
        ("conll", "upos", ["New York"], ["X"], "U+0020"),
        ("conll", "upos", ["a\rb"], ["X"], "U+000D"),
        ("conll", "upos", ["a"], ["X Y"], "the tag 'X Y'"),
    ],
)
def test_columns_formats_refuse_what_they_cannot_hold(
    fmt: str, tag_field: str, tokens: list[str], tags: list[str], refused: str
) -> None:
    out = io.StringIO()
    writer = SentenceWriter(out, fmt, tag_field)
    writer.write(TaggedSentence(["ok"], ["X"]))
    written_before = out.getvalue()
    with pytest.raises(FormatError, match=f"--format {fmt} cannot hold .*{re.escape(refused)}"):
        writer.write(TaggedSentence(tokens, tags))
    assert out.getvalue() == written_before
