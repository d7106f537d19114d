"""Reading a config: YAML (safe_load only), `--set KEY=VALUE` overrides, validation into one line.

Every failure is a `ConfigError` naming the dotted key and the file, so a typo never reaches a trial.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from orchestrator.config.schema import ExperimentConfig
from orchestrator.errors import ConfigError


def _format_validation_error(err: ValidationError, source: str) -> ConfigError:
    first = err.errors()[0]
    path = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-after"))
    # pydantic puts the union member names in the location of union errors; keep the user's keys.
    path = ".".join(p for p in path.split(".") if p not in {"LogUniform", "Uniform", "Choice", "float", "int", "list[float]", "list[int]"} and not p.startswith(("union[", "tagged-union")))
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    more = f" (+{len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return ConfigError(f"{path or '<root>'}: {msg}{more} in {source}", "fix the value in the YAML file or with --set KEY=VALUE")


def parse_override(text: str) -> tuple[list[str], Any]:
    """`a.b.c=value` -> (["a", "b", "c"], value parsed as YAML, so numbers and lists keep their type)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip() or any(not part for part in key.strip().split(".")):
        raise ConfigError(f"--set {text!r} is not KEY=VALUE", "write it like --set training.epochs=30")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return key.strip().split("."), value


def apply_override(raw: dict, path: list[str], value: Any) -> None:
    node: Any = raw
    for i, part in enumerate(path[:-1]):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(f"--set {'.'.join(path)}: no list item {part!r}", f"there are {len(node)} items, numbered from 0")
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"--set {'.'.join(path)}: {'.'.join(path[:i])} is not a section", "check the key path")
        node = node.setdefault(part, {})
    last = path[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise ConfigError(f"--set {'.'.join(path)}: no list item {last!r}", f"there are {len(node)} items, numbered from 0")
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ConfigError(f"--set {'.'.join(path)}: {'.'.join(path[:-1])} is not a section", "check the key path")


def read_yaml(path: Path) -> dict:
    if path.is_dir():
        raise ConfigError(f"config path {str(path)!r} is a folder, not a file", "pass a YAML file, e.g. --config configs/quickstart.yaml")
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} not found", "pass an existing YAML file, e.g. --config configs/quickstart.yaml")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path} is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}", "fix the YAML syntax") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}", "check the file's permissions and encoding") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping of sections at its top level", "see configs/quickstart.yaml")
    return raw


def build_config(raw: dict, source: str = "config") -> ExperimentConfig:
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as err:
        raise _format_validation_error(err, source) from None


def load_config(path: Path | None, overrides: list[tuple[list[str], Any]] = ()) -> ExperimentConfig:
    """Read `path` (or the built-in defaults), apply overrides in order, validate."""
    raw = read_yaml(path) if path is not None else {}
    defaults = ExperimentConfig().model_dump(mode="json", exclude_none=True)
    for keys, value in overrides:
        if keys[0] not in raw and isinstance(defaults.get(keys[0]), list):
            raw[keys[0]] = defaults[keys[0]]  # `--set variants.0.epochs=5` edits the default list
        apply_override(raw, keys, value)
    return build_config(raw, str(path) if path else "the built-in defaults")


def to_yaml(config: ExperimentConfig) -> str:
    """The resolved config, exactly what ran, readable by `load_config`."""
    return yaml.safe_dump(config.model_dump(mode="json", exclude_none=True), sort_keys=False)
