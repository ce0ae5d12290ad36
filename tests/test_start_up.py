"""What `tagger tag` does at start-up, before torch is imported: idle OpenMP threads sleep
(OMP_WAIT_POLICY=PASSIVE, unless the user chose a policy), and the cyclic collector is
paused, then what start-up made is frozen and the collector resumes (tagger.collector).
A process that already holds torch keeps both as they are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fixtures_models import TrainedModel
from helpers import write

PROBE = """
import gc, os, sys
{before}
from tagger.cli.tag import passive_openmp
from tagger.collector import pause_collector, settle_startup
passive_openmp()
enabled = gc.isenabled()
pause_collector()
paused = enabled and not gc.isenabled()
{between}
settle_startup()
print(os.environ.get("OMP_WAIT_POLICY", "unset"), paused, gc.isenabled(), gc.get_freeze_count() > 0)
"""


def probe(before: str = "", between: str = "", **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = PROBE.format(before=before, between=between)
    done = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_fresh_process_sleeps_idle_threads_and_freezes_its_start_up() -> None:
    assert probe(between="import torch") == "PASSIVE True True True"


def test_a_process_that_holds_torch_keeps_both() -> None:
    assert probe(before="import torch") == "unset False True False"


def test_the_user_s_policy_and_disabled_collector_are_kept() -> None:
    assert probe(OMP_WAIT_POLICY="ACTIVE").startswith("ACTIVE ")
    assert probe(before="gc.disable()").endswith(" False False False")


def test_tag_ends_with_the_collector_running(tmp_path: Path, shared_pos: TrainedModel) -> None:
    """The CLI process: paused at start-up, resumed once the model and tokenizer load."""
    text = write(tmp_path, "The dog sees a cat.\n", "in.txt")
    out = tmp_path / "out.conllu"
    code = (
        "import gc, os, sys, atexit\n"
        "atexit.register(lambda: print('collector', gc.isenabled(), gc.get_freeze_count() > 0,"
        " os.environ.get('OMP_WAIT_POLICY'), file=sys.stderr))\n"
        "from tagger.cli import main\n"
        f"main(['tag', {str(shared_pos.path)!r}, {str(text)!r}, '-o', {str(out)!r}])\n"
    )
    clean = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    done = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "collector True True PASSIVE" in done.stderr
    assert out.read_text(encoding="utf-8").count("\n1\tThe\t") == 1
