"""The search space file (TOML): each key a config key, with a range (`{low, high, log,
step}`) or a list of choices, checked against the config schema before any trial runs."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tagger.config import Config, ConfigError, config_from_dict

RANGE_KEYS = ("low", "high", "log", "step")
BUDGET_KEY = "train.max_minutes"  # set by --trial-minutes, never sampled
SECTIONS = ("DataConfig", "ModelConfig", "TrainConfig")  # Config's tables


@dataclass(frozen=True)
class Param:
    """One sampled config key: a range of ints or floats, or a list of choices."""

    key: str  # dotted config key: "model.hidden"
    kind: str  # "int" | "float" | "choice"
    low: float = 0
    high: float = 0
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()

    def sample(self, trial: Any) -> Any:
        """This key's value for an Optuna trial (suggest_int / float / categorical)."""
        if self.kind == "choice":
            return trial.suggest_categorical(self.key, list(self.choices))
        if self.kind == "int":
            step = int(self.step or 1)
            return trial.suggest_int(
                self.key, int(self.low), int(self.high), step=step, log=self.log
            )
        return trial.suggest_float(self.key, self.low, self.high, step=self.step, log=self.log)

    def contains(self, value: Any) -> bool:
        """Whether the space can sample `value` (a choice, or a point of the range)."""
        if self.kind == "choice":
            return any(value == choice for choice in self.choices)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if not self.low <= value <= self.high:
            return False
        return self.step is None or abs((value - self.low) / self.step % 1) < 1e-9


def read_space(path: str | Path, base: dict[str, Any]) -> list[Param]:
    """The parameters of a space file, each checked against `base` (the config file's
    values): every bound and choice must make a config the schema accepts."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: {err}") from err
    try:
        params = [_param(key, value, base) for key, value in _leaves(raw, "")]
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from err
    if not params:
        raise ConfigError(f"{path}: expected at least one key to search, e.g. model.hidden")
    return params


def _leaves(table: dict[str, Any], prefix: str) -> list[tuple[str, Any]]:
    """(dotted key, range table or choice list) of a nested TOML table."""
    found: list[tuple[str, Any]] = []
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and not ({"low", "high"} & set(value)):
            if not value:
                raise ConfigError(f"{key}: expected a range {{low, high}} or a list of choices")
            found += _leaves(value, f"{key}.")
        else:
            found.append((key, value))
    return found


def _param(key: str, value: Any, base: dict[str, Any]) -> Param:
    kind = key_type(key)
    if key == BUDGET_KEY:
        raise ConfigError(f"{key}: set by --trial-minutes, not searched")
    if isinstance(value, list):
        return _choices(key, value, base)
    if not isinstance(value, dict):
        raise ConfigError(
            f"{key}: expected a range {{low = ..., high = ...}} or a list of choices, "
            f"got {type(value).__name__} {value!r}"
        )
    if kind not in ("int", "float"):
        raise ConfigError(f"{key}: a range needs a number key, and this one is {kind}; give a list")
    unknown = sorted(set(value) - set(RANGE_KEYS))
    if unknown:
        raise ConfigError(
            f"{key}: unknown range key {unknown[0]!r}; known: {', '.join(RANGE_KEYS)}"
        )
    low, high = _bound(key, value, "low", kind), _bound(key, value, "high", kind)
    log, step = value.get("log", False), value.get("step")
    if not isinstance(log, bool):
        raise ConfigError(f"{key}: log: expected true or false, got {log!r}")
    if not low < high:
        raise ConfigError(f"{key}: expected low < high, got low = {low!r}, high = {high!r}")
    if log and low <= 0:
        raise ConfigError(f"{key}: a log range needs low > 0, got {low!r}")
    if step is not None:
        step = _step(key, step, kind, log, high - low)
    for bound in (low, high):
        check_value(key, bound, base)
    return Param(key, kind, low, high, log, step)


def _bound(key: str, table: dict[str, Any], name: str, kind: str) -> float:
    if name not in table:
        raise ConfigError(f"{key}: the range needs {name}")
    value = table[name]
    ok = isinstance(value, int) if kind == "int" else isinstance(value, int | float)
    if isinstance(value, bool) or not ok:
        raise ConfigError(f"{key}: {name}: expected {kind}, got {type(value).__name__} {value!r}")
    return value


def _step(key: str, step: Any, kind: str, log: bool, width: float) -> float:
    ok = isinstance(step, int) if kind == "int" else isinstance(step, int | float)
    if isinstance(step, bool) or not ok or step <= 0:
        raise ConfigError(f"{key}: step: expected a positive {kind}, got {step!r}")
    if log:
        raise ConfigError(f"{key}: give step or log, not both (Optuna samples one or the other)")
    if step > width:
        raise ConfigError(f"{key}: step {step!r} is wider than the range ({width!r})")
    return step


def _choices(key: str, values: list[Any], base: dict[str, Any]) -> Param:
    if not values:
        raise ConfigError(f"{key}: expected at least one choice, got []")
    if len(set(map(repr, values))) != len(values):
        raise ConfigError(f"{key}: a choice is listed twice in {values!r}")
    for value in values:
        check_value(key, value, base)
    return Param(key, "choice", choices=tuple(values))


def key_type(key: str) -> str:
    """The declared type of a dotted config key ("int", "float", "str", "bool"), or a
    ConfigError naming the key and the known ones."""
    cls: Any = Config
    parts = key.split(".")
    for i, part in enumerate(parts):
        fields = {f.name: f for f in dataclasses.fields(cls)}
        if part not in fields:
            where = ".".join(parts[:i]) or "the config"
            raise ConfigError(f"unknown key {key!r}; known in {where}: {', '.join(sorted(fields))}")
        annotation = fields[part].type
        if annotation in SECTIONS:
            cls = type(getattr(Config(), part))
            continue
        if i != len(parts) - 1:
            raise ConfigError(f"unknown key {key!r}: {'.'.join(parts[: i + 1])} is not a section")
        return str(annotation)
    raise ConfigError(f"{key}: is a section; name one of its keys, e.g. {key}.{_first(cls)}")


def _first(cls: Any) -> str:
    return dataclasses.fields(cls)[0].name


def with_values(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of the nested config dict `base` with dotted `values` put in."""
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in values.items():
        *sections, name = key.split(".")
        node = merged
        for part in sections:
            node = node.setdefault(part, {})
        node[name] = value
    return merged


def config_value(config: Config, key: str) -> Any:
    """The value of dotted `key` in a resolved config."""
    node: Any = config
    for part in key.split("."):
        node = getattr(node, part)
    return node


def check_value(key: str, value: Any, base: dict[str, Any]) -> Config:
    """The config `base` makes with `key = value`; the schema's ConfigError otherwise."""
    return config_from_dict(with_values(base, {key: value}))
