"""What `tagger tag` and `tagger evaluate` do at start-up, before torch is imported:
idle OpenMP threads sleep (OMP_WAIT_POLICY=PASSIVE, unless the user chose a policy), and
the cyclic collector is paused, then what start-up made is frozen and the collector
resumes (tagger.start_up). A process that already holds torch keeps both as they are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures_models import TrainedModel
from helpers import write

PROBE = """
import gc, os, sys
{before}
from tagger.start_up import passive_openmp, pause_collector, settle_startup
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


def test_a_process_that_holds_torch_keeps_both() -> None:
    assert probe(before="import torch") == "unset False True False"


def test_the_user_s_policy_and_disabled_collector_are_kept() -> None:
    assert probe(OMP_WAIT_POLICY="ACTIVE").startswith("ACTIVE ")
    assert probe(before="gc.disable()").endswith(" False False False")


@pytest.mark.parametrize("command", ["tag", "evaluate"])
def test_serving_commands_end_with_the_collector_running(
    tmp_path: Path, shared_pos: TrainedModel, command: str
) -> None:
    """The CLI process: paused at start-up, resumed once the model (and the tokenizer, or
    the corpus) is loaded, and idle OpenMP threads asleep."""
    model = str(shared_pos.path)
    if command == "tag":
        text = write(tmp_path, "The dog sees a cat.\n", "in.txt")
        args = ["tag", model, str(text), "-o", str(tmp_path / "out.conllu")]
    else:
        args = ["evaluate", model, str(shared_pos.path.parent / "corpus" / "dev.conllu"), "--json"]
    code = (
        "import gc, os, sys, atexit\n"
        "atexit.register(lambda: print('collector', gc.isenabled(), gc.get_freeze_count() > 0,"
        " os.environ.get('OMP_WAIT_POLICY'), file=sys.stderr))\n"
        "from tagger.cli import main\n"
        f"main({args!r})\n"
    )
    clean = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    done = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "collector True True PASSIVE" in done.stderr
    if command == "tag":
        assert (tmp_path / "out.conllu").read_text(encoding="utf-8").count("\n1\tThe\t") == 1
    else:
        assert 0.0 <= json.loads(done.stdout)["accuracy"] <= 1.0


def test_a_command_that_fails_before_its_model_loads_resumes_the_collector() -> None:
    """In a process that goes on (a test, a program calling the CLI): nothing frozen."""
    code = (
        "import gc\n"
        "from tagger.start_up import serving_start_up\n"
        "try:\n"
        "    with serving_start_up():\n"
        "        assert not gc.isenabled()\n"
        "        raise ValueError('a bad input, before the model loads')\n"
        "except ValueError:\n"
        "    print(gc.isenabled(), gc.get_freeze_count())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True 0"
