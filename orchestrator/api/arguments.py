"""The arguments `gg-train launch` and `orchestrator.launch(...)` share, turned into one validated config:
the config given (a YAML path, a dict or an ExperimentConfig, else the built-in defaults), then the
data, model and flag arguments, then the overrides (`--set`), later ones winning.

Typed values, not `k=v` text: a label `0` or `yes` stays the string the user gave.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from orchestrator.config import ExperimentConfig, build_config, load_config, parse_override
from orchestrator.config.loading import apply_overrides
from orchestrator.errors import ConfigError, DataError

Override = tuple[list[str], Any]

# Each launch argument that sets one config key, and that key.
FLAG_KEYS = {
    "epochs": "training.epochs", "samples": "search.samples", "seed": "seed", "gpus": "resources.gpus",
    "gpus_per_trial": "resources.gpus_per_trial", "cpus_per_trial": "resources.cpus_per_trial",
    "cpu_replicas": "resources.cpu_replicas", "workers_per_trial": "resources.workers_per_trial",
    "address": "resources.address", "runs_dir": "output.runs_dir", "storage": "output.storage", "mlflow": "output.mlflow",
}
TABLE_SUFFIXES = (".csv", ".parquet", ".npz")


def data_overrides(data: str | Path | None, label: str | None, test_data: str | Path | None = None) -> list[Override]:
    """`data` as data.source and an absolute data.path (so `resume` works from any directory)."""
    sets: list[Override] = []
    if data is not None:
        data = Path(data)
        suffix = data.suffix.lower()
        if data.is_dir():
            source = "images"  # one sub-folder per class
        elif suffix in TABLE_SUFFIXES:
            source = suffix[1:]
        else:
            raise DataError(f"cannot tell the format of '{data}' from its suffix {suffix or '(none)'}",
                            "pass a .csv, .parquet or .npz file, or a folder of images with one sub-folder per class")
        sets += [(["data", "source"], source), (["data", "path"], str(data.expanduser().resolve()))]
    sets += [(["data", "label"], label)] if label is not None else []
    return sets + ([(["data", "test_path"], str(Path(test_data).expanduser().resolve()))] if test_data is not None else [])


def model_override(model: str | Path | None) -> list[Override]:
    """A saved `.keras` file trains that architecture; `file.py:build` or `module:build` names a builder."""
    if model is None:
        return []
    model = str(model)
    return [(["model", "file"], model)] if model.endswith(".keras") else [(["model", "builder"], model)]


def flag_overrides(**flags) -> list[Override]:
    """The flags given (not None), each as its config key (`FLAG_KEYS`)."""
    return [(FLAG_KEYS[k].split("."), str(v) if isinstance(v, Path) else v) for k, v in flags.items() if v is not None]


def user_overrides(overrides: Mapping[str, Any] | Sequence[str] | None) -> list[Override]:
    """`--set` texts (`"training.epochs=30"`, values read as YAML) or a dict of dotted keys to values."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [(str(key).split("."), value) for key, value in overrides.items()]
    if isinstance(overrides, str):
        raise ConfigError(f"overrides {overrides!r} is one text, not a list of KEY=VALUE texts",
                          "pass a list, e.g. ['training.epochs=30'], or a dict, e.g. {'training.epochs': 30}")
    return [parse_override(text) for text in overrides]


def experiment_config(config: str | Path | Mapping | ExperimentConfig | None, overrides: list[Override]) -> ExperimentConfig:
    """The config given, with `overrides` applied in order, validated (a `ConfigError` names the key)."""
    if config is None or isinstance(config, (str, Path)):
        return load_config(Path(config) if config is not None else None, overrides)
    if isinstance(config, ExperimentConfig):
        raw, source = config.model_dump(mode="json", exclude_none=True), "the config given"
    elif isinstance(config, Mapping):
        raw, source = _plain(config), "the config dict given"
    else:
        raise ConfigError(f"config must be a YAML path, a dict or an ExperimentConfig, not {type(config).__name__}",
                          "pass e.g. 'configs/quickstart.yaml'")
    return build_config(apply_overrides(raw, overrides), source)


def _plain(value: Any) -> Any:
    """A copy of a config dict, so that applying overrides never changes the caller's dict."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value
