"""Where a study lives: Optuna's RDB storage (SQLite by default, PostgreSQL or MySQL by
URL), with a heartbeat so that a killed worker's trial is failed, not left running."""

from __future__ import annotations

from typing import Any

HEARTBEAT_S = 10  # a running trial writes its heartbeat this often
GRACE_S = 40  # a running trial whose heartbeat is older is failed (its worker is gone)
SQLITE_TIMEOUT_S = 120  # a worker waits this long for another's write lock on the file
# Machines share a study through PostgreSQL (the tune extra brings the driver, psycopg 3):
# tests/tune/test_tune_postgres.py starts a throwaway server (as the `postgres` user when
# root) and runs two `tagger tune` processes on one study; the other tests use SQLite.


def open_storage(url: str, heartbeat_s: int = HEARTBEAT_S, grace_s: int = GRACE_S) -> Any:
    """An optuna RDBStorage on `url` with the heartbeat on (every `heartbeat_s`; a trial
    silent for `grace_s` is failed); several processes share one SQLite file (each write
    waits for the lock instead of failing 'database is locked')."""
    import optuna

    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"timeout": SQLITE_TIMEOUT_S}}
    try:
        return optuna.storages.RDBStorage(
            url, engine_kwargs=kwargs, heartbeat_interval=heartbeat_s, grace_period=grace_s
        )
    except (ImportError, ModuleNotFoundError) as err:
        raise ValueError(f"--storage {url}: its database driver is missing ({err})") from None
    except Exception as err:  # sqlalchemy's errors: a bad URL, a server that is not there
        text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"--storage {url}: {text}") from None
