"""A throwaway PostgreSQL server for the tests: Debian's (or PATH's) initdb and pg_ctl,
a cluster in a fresh temporary folder, reached only through a unix socket in that folder
(no TCP port), stopped and removed when the `with` block ends, however it ends.

initdb refuses to run as root, so as root the server runs as the `postgres` system user
(which Debian's package makes) and the folder is handed to that user."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATABASE = "tune"
SUPERUSER = "postgres"  # the role initdb makes; trust auth, so any OS user may use it
INITDB = ("-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
# A unix socket only (no TCP port to collide), and no durability for a server that
# lives a few seconds: no fsync, no full-page writes.
FAST = "-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def find_bin() -> Path | None:
    """The folder of initdb and pg_ctl: the newest /usr/lib/postgresql/N/bin, else PATH's."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    initdb = found[-1] if found else shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass(frozen=True)
class Runner:
    """Who runs the server's programs: this user, or (as root) the `postgres` one."""

    uid: int | None = None
    gid: int | None = None

    def run(self, command: list[str], cwd: Path) -> None:
        """Run `command`; a failure is a RuntimeError carrying its output."""
        result = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            user=self.uid,
            group=self.gid,
            extra_groups=[] if self.uid is not None else None,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)}: status {result.returncode}\n{result.stdout}{result.stderr}"
            )


def runner() -> Runner | None:
    """This user when not root; as root the `postgres` user, or None when there is none."""
    if os.geteuid() != 0:
        return Runner()
    try:
        entry = pwd.getpwnam(SUPERUSER)
    except KeyError:
        return None
    return Runner(entry.pw_uid, entry.pw_gid)


@contextlib.contextmanager
def postgres_server(bin_dir: Path, as_user: Runner) -> Iterator[str]:
    """A running server with an empty database `tune`: yields its SQLAlchemy URL
    (psycopg 3), then stops the server (immediate mode) and removes its folder."""
    folder = Path(tempfile.mkdtemp(prefix="tagger-pg-"))  # short: a socket path is <108 B
    data, log = str(folder / "data"), folder / "server.log"

    def pg(program: str, *args: str) -> None:
        as_user.run([str(bin_dir / program), *args], folder)

    options = f"-k {folder} {FAST}"  # the socket in the folder
    try:
        folder.chmod(0o755)  # the socket is reached by this user; data/ stays 0700
        if as_user.uid is not None:
            os.chown(folder, as_user.uid, as_user.gid or -1)
        pg("initdb", "-D", data, "-U", SUPERUSER, *INITDB)
        try:
            pg("pg_ctl", "start", "-w", "-t", "300", "-D", data, "-l", str(log), "-o", options)
        except RuntimeError as err:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"{err}\nserver log:\n{text}") from None
        try:
            pg("createdb", "-h", str(folder), "-U", SUPERUSER, DATABASE)
            yield f"postgresql+psycopg://{SUPERUSER}@/{DATABASE}?host={folder}"
        finally:  # a server that died already fails to stop: its folder goes all the same
            with contextlib.suppress(RuntimeError):
                pg("pg_ctl", "stop", "-w", "-m", "immediate", "-D", data)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
