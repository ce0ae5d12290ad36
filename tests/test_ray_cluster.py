"""`tagger tag --ray HOST:PORT` joins a running Ray cluster of two nodes (both on this
machine, started here with Ray's own Cluster utility, one CPU each): the actors run on
both nodes and the output is byte for byte a local run's."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures_models import TrainedModel
from typer.testing import CliRunner

from tagger.cli import app
from tagger.data.errors import CorpusError

pytest.importorskip("ray", reason="ray is not installed (make setup-dev installs it)")

from ray.cluster_utils import Cluster  # noqa: E402

from tagger.cluster.blocks import Block, block_lines  # noqa: E402
from tagger.tag import BLOCK_LINES  # noqa: E402

pytestmark = pytest.mark.integration

LINES = ["The dog sees a cat. A bird finds the tree!", "Every child likes this old tree."]


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[str]:
    """A Ray head and a second node, one CPU each; its address, then both stopped."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
    )
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    yield cluster.address
    cluster.shutdown()


def tagger(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`tagger ARGS` as its own process, as a user runs it against a cluster."""
    command = [sys.executable, "-m", "tagger", *map(str, args)]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def test_tagging_on_a_two_node_cluster_uses_both_and_matches_a_local_run(
    two_nodes: str, tmp_path: Path, shared_pos: TrainedModel
) -> None:
    text = tmp_path / "big.txt"
    text.write_text("\n".join(LINES * BLOCK_LINES * 2) + "\n", encoding="utf-8")  # 4 blocks
    local = CliRunner().invoke(app, ["tag", str(shared_pos.path), str(text), "--threads", "1"])
    assert local.exit_code == 0, local.output  # (in this process: it is not about the process)
    remote = tagger("tag", shared_pos.path, text, "--ray", two_nodes, "--workers", "2")
    assert remote.returncode == 0, remote.stderr[-3000:]
    assert remote.stdout == local.stdout
    assert "4 block(s) tagged by 2 actor process(es) on 2 node(s)" in remote.stderr


def test_a_file_an_actor_cannot_see_is_a_clear_error() -> None:
    block = Block(0, "corpus/part-1.txt", 1, path="/no/such/shared/folder/part-1.txt", count=3)
    with pytest.raises(CorpusError) as caught:
        block_lines(block, "stop")
    message = str(caught.value)
    assert message.startswith("corpus/part-1.txt: cannot be read where a tagging actor runs")
    assert "every node must see the input files at the same path" in message
