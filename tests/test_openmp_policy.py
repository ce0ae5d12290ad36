"""`tagger tag` makes idle OpenMP threads sleep (OMP_WAIT_POLICY=PASSIVE) unless the user
chose a policy, and only where torch is not loaded yet (later, OpenMP has read it)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import os, sys
{before}
from tagger.cli.tag import passive_openmp
passive_openmp()
print(os.environ.get("OMP_WAIT_POLICY", "unset"))
"""


def policy(before: str = "", **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = PROBE.format(before=before)
    done = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_tag_makes_idle_threads_sleep_unless_the_user_chose() -> None:
    assert policy() == "PASSIVE"
    assert policy(OMP_WAIT_POLICY="ACTIVE") == "ACTIVE"


def test_nothing_is_set_once_torch_is_loaded() -> None:
    assert policy(before="import torch") == "unset"
