"""Multi-word token expansion: the training table, its case, and the learned clitics."""

from __future__ import annotations

from tagger.data.multiword import Multiwords

PAIRS = [
    ("don't", ("do", "n't")),
    ("Don't", ("Do", "n't")),
    ("can't", ("ca", "n't")),
    ("won't", ("wo", "n't")),
    ("Bush's", ("Bush", "'s")),
    ("Anna's", ("Anna", "'s")),
    ("del", ("de", "el")),  # words that do not spell the token
    ("house", ("house",)),  # not a multi-word token: not in the table
]


def test_table_from_training_tokens() -> None:
    table = Multiwords.build(PAIRS)
    assert table.table["don't"] == ["do", "n't"]
    assert "house" not in table.table
    assert table.expand("DON'T") == ("DO", "N'T")  # the surface's own characters
    assert table.expand("Won't") == ("Wo", "n't")
    assert table.expand("Del") == ("De", "el")


def test_unseen_token_split_before_a_learned_clitic() -> None:
    table = Multiwords.build(PAIRS)
    assert table.clitics == ["n't", "'s"]  # each ends two or more training tokens
    assert table.expand("shouldn't") == ("should", "n't")
    assert table.expand("Mary's") == ("Mary", "'s")
    assert table.expand("n't") == ("n't",)  # nothing would be left before the clitic
    assert table.expand("gonna") == ("gonna",)  # no clitic: one word, the surface itself


def test_json_round_trip() -> None:
    table = Multiwords.build(PAIRS)
    again = Multiwords.from_json(table.to_json())
    assert again.table == table.table and again.clitics == table.clitics
    assert Multiwords.from_json(None).expand("don't") == ("don't",)


def test_forms_usually_multiword() -> None:
    pairs = [("im", ("i", "m"))] * 3 + [("im", ("im",))] + [("its", ("it", "s"))]
    pairs += [("its", ("its",))] * 5
    table = Multiwords.build(pairs)
    assert table.is_usual("Im") and not table.is_usual("its")  # 3 of 4, 1 of 6
    assert table.expand("its") == ("it", "s")  # still in the table, for a marked token
    assert Multiwords.from_json(table.to_json()).usually == table.usually
