"""A resolved config as TOML text (top-level keys, then one table per section), read
back by tomllib to the same values before it is written."""

from __future__ import annotations

import json
import tomllib
from typing import Any


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    raise TypeError(f"a config value of type {type(value).__name__} has no TOML form: {value!r}")


def toml_text(values: dict[str, Any], header: str = "") -> str:
    """`values` (a nested config dict) as TOML; `header` lines become comments."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    tables = {k: v for k, v in values.items() if isinstance(v, dict)}
    lines += [f"{key} = {_value(v)}" for key, v in values.items() if key not in tables]
    for name, table in tables.items():
        lines += ["", f"[{name}]", *(f"{key} = {_value(v)}" for key, v in table.items())]
    text = "\n".join(lines) + "\n"
    if tomllib.loads(text) != values:  # a value TOML cannot carry exactly
        raise ValueError("the config does not survive a round trip through TOML")
    return text
