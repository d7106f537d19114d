"""Reading a config: YAML (safe_load only), `--set KEY=VALUE` overrides, validation into one line.

Every failure is a `ConfigError` naming the dotted key and the file, so a typo never reaches a trial.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from orchestrator.config.schema import ExperimentConfig
from orchestrator.errors import ConfigError

# A config is a few kilobytes of a few hundred values. Past these, the YAML is not a config: anchors
# and aliases ("billion laughs": 9 levels of 9 aliases make 387 million values from 90 lines) would
# expand in pydantic, model_dump and the manifest; a huge file would be read whole first.
MAX_CONFIG_BYTES = 1_000_000
MAX_YAML_VALUES = 100_000
# What PyYAML's constructors raise, besides YAMLError, on a value they cannot build: `!!float` with
# no text (IndexError), `!!bool ''` (KeyError), a date like 2001-02-30 (ValueError); deep nesting.
_CONSTRUCT_ERRORS = (ValueError, IndexError, KeyError, TypeError, OverflowError, RecursionError)


def _expanded_size(node: yaml.Node, sizes: dict[int, int | None]) -> int:
    """How many values `node` becomes once every alias is expanded (each distinct node counted once,
    so this is quick however large the expansion); a node that contains itself is refused."""
    key = id(node)
    if key in sizes:
        if sizes[key] is None:
            raise ConfigError("the YAML has an alias that refers to itself (an endless value)", "remove that alias (*name)")
        return sizes[key]
    sizes[key] = None
    children = node.value if isinstance(node, yaml.SequenceNode) else (
        [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else [])
    sizes[key] = 1 + sum(_expanded_size(child, sizes) for child in children)
    return sizes[key]


def _safe_yaml(text: str, where: str):
    """`yaml.safe_load(text)`, refusing alias bombs before they expand; a value PyYAML cannot
    construct raises `yaml.YAMLError` like a syntax error does."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_YAML_VALUES:
            raise ConfigError(f"{where} expands to more than {MAX_YAML_VALUES:,} values through its aliases (*name)",
                              "write the values out; a config needs no alias expanded thousands of times")
        return loader.construct_document(node)
    except _CONSTRUCT_ERRORS as exc:
        problem = "it is nested too deeply" if isinstance(exc, RecursionError) else f"a value cannot be read ({exc!r})"
        raise yaml.YAMLError(problem) from None
    finally:
        loader.dispose()


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
        value = _safe_yaml(raw, f"--set {key.strip()}") if raw.strip() else None
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
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path} is too large for a config ({path.stat().st_size:,} bytes, at most {MAX_CONFIG_BYTES:,})",
                              "pass the experiment's YAML config, not a data file")
        raw = _safe_yaml(path.read_text(encoding="utf-8"), str(path))
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


def _non_finite(value: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], float] | None:
    """The dotted path and value of the first NaN or infinite number in `value`, if any."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    for key, item in items:
        found = _non_finite(item, (*path, str(key)))
        if found:
            return found
    return None


def build_config(raw: dict, source: str = "config") -> ExperimentConfig:
    try:
        config = ExperimentConfig.model_validate(raw)
    except ValidationError as err:
        raise _format_validation_error(err, source) from None
    # .inf, .nan, "inf" or 1e309 pass `gt=0` checks, then turn into null in config.yaml (resume
    # fails) and into invalid JSON in manifest.json: no config value is ever meant to be one of them.
    found = _non_finite(config.model_dump())
    if found:
        raise ConfigError(f"{'.'.join(found[0])}: must be a finite number, got {found[1]} in {source}",
                          "give a finite number in the YAML file or with --set KEY=VALUE")
    return config


def apply_overrides(raw: dict, overrides: list[tuple[list[str], Any]]) -> dict:
    """`raw` with `overrides` applied in order (changed in place, and returned)."""
    defaults = ExperimentConfig().model_dump(mode="json", exclude_none=True)
    for keys, value in overrides:
        if keys[0] not in raw and isinstance(defaults.get(keys[0]), list):
            raw[keys[0]] = defaults[keys[0]]  # `--set variants.0.epochs=5` edits the default list
        apply_override(raw, keys, value)
    return raw


def load_config(path: Path | None, overrides: list[tuple[list[str], Any]] = ()) -> ExperimentConfig:
    """Read `path` (or the built-in defaults), apply overrides in order, validate."""
    raw = read_yaml(path) if path is not None else {}
    return build_config(apply_overrides(raw, overrides), str(path) if path else "the built-in defaults")


def to_yaml(config: ExperimentConfig) -> str:
    """The resolved config, exactly what ran, readable by `load_config`."""
    return yaml.safe_dump(config.model_dump(mode="json", exclude_none=True), sort_keys=False)
