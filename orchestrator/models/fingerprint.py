"""The file a user's model comes from, and its sha256: recorded in manifest.json at launch and
compared at `gg-train resume`. A builder file (`path/to/models.py:build`), a builder module's
source (`package.module:build`) or a saved `.keras` file edited in between would give the trials
not yet run another architecture than the finished ones, under one report; resume refuses that.

Only that one file is hashed: a builder's own imports (a helper module beside it) are not followed.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from orchestrator.config import ModelConfig
from orchestrator.errors import ExperimentError
from orchestrator.models.builder import is_file_ref


def source_file(model: ModelConfig) -> Path | None:
    """The file the trials build the model from, as this process would import or load it now;
    None for gg-train's own families, or a module that cannot be found from here."""
    if model.file is not None:
        return Path(model.file)
    if not model.builder:
        return None
    target = model.builder.rpartition(":")[0]
    if is_file_ref(target):
        return Path(target)
    try:
        spec = importlib.util.find_spec(target)
    except (ImportError, ValueError):  # a parent package gone, or a name find_spec cannot take
        return None
    return Path(spec.origin) if spec is not None and spec.origin and Path(spec.origin).is_file() else None


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def record(model: ModelConfig) -> dict | None:
    """{"path", "sha256"} of the model's source file, for manifest.json; None for a built-in family."""
    path = source_file(model)
    digest = _sha256(path) if path is not None else None
    return {"path": str(path), "sha256": digest} if digest is not None else None


def check_unchanged(model: ModelConfig, recorded: dict | None, name: str) -> None:
    """Refuse, in one line, a resume whose model file is gone or differs from the one launched."""
    if not recorded or not recorded.get("sha256"):  # a built-in family, or launched before this record
        return
    path = source_file(model)
    fix = f"restore the file as it was at the launch, or launch a new experiment (gg-train show/report {name} still read what finished)"
    if path is None or _sha256(path) is None:
        raise ExperimentError(f"the model of '{name}' ({model.builder or model.file}, launched from {recorded['path']}) "
                              "cannot be found from here", f"resume from the folder it was launched from; or {fix}")
    if _sha256(path) != recorded["sha256"]:
        raise ExperimentError(f"the model file {path} changed since '{name}' was launched (its sha256 differs from manifest.json), "
                              "so the trials not yet run would train another architecture", fix)
