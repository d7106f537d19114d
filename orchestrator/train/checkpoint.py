"""The one checkpoint format, used by trials, resume and evaluation.

A checkpoint folder holds `model.keras` (architecture, weights, optimizer state; loaded in Keras'
safe mode), `state.json` (schema version, epoch, early-stopping state) and, for early-stopping
trials, `best_weights.npz` (the weights of the best epoch so far, plain arrays, no pickle). A trial
of the built-in MLP trains on its worker's engine (`engines`), whose optimizer is not the model's:
its model is saved uncompiled and the optimizer's variables go in `optimizer_state.npz`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from orchestrator.folder.files import write_json_atomic

SCHEMA_VERSION = 1
MODEL_FILE = "model.keras"
STATE_FILE = "state.json"
BEST_WEIGHTS_FILE = "best_weights.npz"
SEED_STATE_FILE = "seed_state.npz"  # dropout's random-stream counters, which model.keras does not keep
OPTIMIZER_FILE = "optimizer_state.npz"  # an engine's optimizer variables, in its order (`engines`)


@dataclass
class TrialState:
    epoch: int  # epochs completed
    variant: str = ""
    early_stopping: dict = field(default_factory=dict)  # best, wait, best_epoch
    history: list[dict] = field(default_factory=list)  # one metrics dict per epoch
    final: bool = False  # the trial had ended (its recipe, early stopping or divergence)
    schema_version: int = SCHEMA_VERSION


def save(directory: Path, model, state: TrialState, best_weights: list[np.ndarray] | None = None,
         optimizer_state: list[np.ndarray] | None = None) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model.save(directory / MODEL_FILE)
    seeds = _seed_variables(model)
    if seeds:
        np.savez(directory / SEED_STATE_FILE, **{f"s{i}": np.asarray(v.numpy()) for i, v in enumerate(seeds)})
    if best_weights is not None:
        np.savez(directory / BEST_WEIGHTS_FILE, *best_weights)
    if optimizer_state is not None:
        np.savez(directory / OPTIMIZER_FILE, *optimizer_state)
    write_json_atomic(directory / STATE_FILE, asdict(state))


def load_state(directory: Path) -> TrialState:
    raw = json.loads((Path(directory) / STATE_FILE).read_text(encoding="utf-8"))
    if raw.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"checkpoint {directory} has schema {raw.get('schema_version')}, expected {SCHEMA_VERSION}")
    return TrialState(**raw)


def load_model(directory: Path, compile: bool = True):
    """Load `model.keras` in safe mode (never an .h5, which ignores it)."""
    import keras

    return keras.models.load_model(Path(directory) / MODEL_FILE, compile=compile, safe_mode=True)


def _seed_variables(model) -> list:
    return [v for v in model.variables if "seed_generator_state" in v.path]


def restore_seed_state(model, directory: Path) -> None:
    """Put dropout's random streams back where they were, so a restarted trial draws the same masks."""
    path = Path(directory) / SEED_STATE_FILE
    seeds = _seed_variables(model)
    if not path.exists() or not seeds:
        return
    with np.load(path, allow_pickle=False) as saved:
        for i, variable in enumerate(seeds):
            if f"s{i}" in saved.files:
                variable.assign(saved[f"s{i}"])


def load_best_weights(directory: Path) -> list[np.ndarray] | None:
    return _arrays(Path(directory) / BEST_WEIGHTS_FILE)


def load_optimizer_state(directory: Path) -> list[np.ndarray] | None:
    return _arrays(Path(directory) / OPTIMIZER_FILE)


def _arrays(path: Path) -> list[np.ndarray] | None:
    """The arrays of an `np.savez` file in their order, or None when there is none."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as arrays:
        return [arrays[f"arr_{i}"] for i in range(len(arrays.files))]


def handover_epoch(directory: Path) -> int | None:
    """The (0-based) epoch whose weights this checkpoint's trial hands over, when it is not the last
    one trained: early stopping's best epoch, for a trial stopped from outside (ASHA) before early
    stopping ended it and restored them itself. None: the checkpoint's own weights are the model."""
    state = load_state(directory)
    best = (state.early_stopping or {}).get("best_epoch")
    if state.final or best is None or not (Path(directory) / BEST_WEIGHTS_FILE).exists():
        return None
    return int(best) if int(best) + 1 < state.epoch else None


def load_handover_model(directory: Path):
    """The model a trial produced, uncompiled: the checkpoint's, with early stopping's best weights
    put back when the trial was stopped before it could do so (`handover_epoch`)."""
    model = load_model(directory, compile=False)
    if handover_epoch(directory) is not None:
        model.set_weights(load_best_weights(directory))
    return model
