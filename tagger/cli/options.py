"""Options and the error exit shared by the Typer commands of every room."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="TAGGER_DATA_DIR", help="Folder holding catalog corpora."),
]

Backend = Annotated[str, typer.Option(help="Run the network with torch or onnx (onnxruntime).")]
Int8 = Annotated[
    bool, typer.Option("--int8", help="Torch backend: int8 dynamic quantization (faster).")
]
Device = Annotated[
    str,
    typer.Option(
        "--device", help="auto (CUDA when available, else CPU), cpu, cuda, cuda:N or mps."
    ),
]
OnnxFile = Annotated[
    Path | None, typer.Option("--onnx", help="With --backend onnx: a file from `tagger export`.")
]
Force = Annotated[
    bool,
    typer.Option(
        "--force", help="Write into an output folder that holds other files (they are kept)."
    ),
]


def fail(message: str) -> NoReturn:
    """Print `error: message` to stderr and exit with status 1 (no traceback)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def error_text(err: BaseException) -> str:
    """One line for an error: `PATH: No space left on device` for an OSError."""
    if isinstance(err, OSError) and err.strerror:
        where = f"{err.filename}: " if err.filename else ""
        return f"{where}{err.strerror}"
    return str(err).strip().replace("\n", " ") or type(err).__name__


def check_counts(**values: tuple[float, float]) -> None:
    """Fail unless each option's value is at least its floor: `batch_size=(0, 1)` fails
    with `--batch-size: expected at least 1, got 0`."""
    for name, (value, floor) in values.items():
        if value < floor:
            fail(f"--{name.replace('_', '-')}: expected at least {floor:g}, got {value:g}")


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: unwinds like KeyboardInterrupt, so every output being
    written is dropped (tagger.outputs) before the command exits 128 + the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def run_interruptible(command: Callable[[], object]) -> None:
    """Run the CLI with SIGINT and SIGTERM turned into one line and exit 130 / 143; a
    closed stdout (`tagger tag ... | head`) ends quietly."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        command()
    except SystemExit:  # the command is done (Click exits): a late signal stays silent
        _ignore_signals()
        raise
    except Interrupted as stop:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        name = signal.Signals(stop.signum).name
        typer.echo(f"error: interrupted ({name}); no output was left half-written", err=True)
        sys.exit(128 + stop.signum)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
        sys.exit(141)
    except OSError as err:  # a full disk or a lost mount where no command expected one
        typer.echo(f"error: {error_text(err)}", err=True)
        sys.exit(1)


def _ignore_signals() -> None:
    """SIGINT and SIGTERM ignored while the finished process shuts down (a signal then
    would interrupt a library's cleanup and print a traceback)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


def repeated_option(command: Any, argv: list[str]) -> str | None:
    """`--format a --format b`: the option given twice (its two spellings), or None.
    Options that take a list (`--set`) may repeat, and so may flags."""
    args = list(argv)
    while hasattr(command, "commands"):  # a group (Typer's own copy of click's classes)
        name = next((a for a in args if not a.startswith("-")), None)
        if name is None or name not in command.commands:
            return None
        args = args[args.index(name) + 1 :]
        command = command.commands[name]
    seen: dict[str, str] = {}
    for arg in args:
        if arg == "--":
            break
        spelled = arg.split("=", 1)[0]
        for param in command.params:
            if getattr(param, "param_type_name", "") != "option":
                continue
            if param.multiple or param.is_flag:
                continue
            if spelled in param.opts + param.secondary_opts and param.name is not None:
                if param.name in seen:
                    first = seen[param.name]
                    return (
                        f"{first} {'and ' + spelled + ' ' if first != spelled else ''}given twice"
                    )
                seen[param.name] = spelled
    return None
