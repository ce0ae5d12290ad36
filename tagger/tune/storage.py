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

    sqlite = url.startswith("sqlite")
    kwargs: dict[str, Any] = {}
    if sqlite:  # no BEGIN from the driver: serialize_transactions sends its own
        kwargs = {"connect_args": {"timeout": SQLITE_TIMEOUT_S, "isolation_level": None}}
    try:
        storage = optuna.storages.RDBStorage(
            url, engine_kwargs=kwargs, heartbeat_interval=heartbeat_s, grace_period=grace_s
        )
    except (ImportError, ModuleNotFoundError) as err:
        raise ValueError(f"--storage {url}: its database driver is missing ({err})") from None
    except Exception as err:  # sqlalchemy's errors: a bad URL, a server that is not there
        text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"--storage {url}: {text}") from None
    if sqlite:
        serialize_transactions(storage.engine)
    return storage


def serialize_transactions(engine: Any) -> None:
    """Each transaction on the SQLite file takes its write lock as it begins (BEGIN
    IMMEDIATE), so that what it read is still true when it writes. Optuna relies on
    SELECT ... FOR UPDATE, which SQLite ignores: without this, two workers both read the
    enqueued trial as WAITING, both take it and both run it (Optuna issue #4002)."""
    from sqlalchemy import event

    event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
