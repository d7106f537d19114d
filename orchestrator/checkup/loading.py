"""The user's trained model, loaded as it is: a `.keras` file (safe mode), a legacy `.h5` file or a
SavedModel folder, behind one `UserModel` that says what it takes and gives.

Loading never runs code from the file: `.keras` loads in Keras' safe mode; `.h5` ignores safe mode
(CVE-2025-9905), so its config is read first and a Lambda layer (marshalled Python) is refused
before Keras sees it; a SavedModel runs only its TensorFlow graph (`keras.layers.TFSMLayer`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from orchestrator.errors import ModelError

SERVING_ENDPOINTS = ("serve", "serving_default")  # model.export() writes the first, tf.saved_model.save the second
PREDICT_BATCH = 4096


@dataclass
class UserModel:
    path: Path
    format: str  # "keras", "h5" or "saved_model"
    inputs: list[dict]  # {"name", "shape"} per input, batch dimension as None
    output_units: int
    output_activation: str | None  # None: unknown (a SavedModel has no layers to inspect)
    keras_model: object | None = None  # None for a SavedModel
    notes: list[str] = field(default_factory=list)
    _call: object = None

    def outputs(self, x, training: bool = False, keras_model=None) -> np.ndarray:
        """Raw outputs (n, units); `training=True` only for a Keras model (batch statistics);
        `keras_model` stands in for the loaded one (a repaired copy)."""
        call = (lambda part: keras_model(part, training=training)) if keras_model is not None else \
            (lambda part: self.call(part, training))
        out = batched(call, x)
        return out.reshape(len(out), -1).astype(np.float64)

    def call(self, x, training: bool = False) -> np.ndarray:
        if self.keras_model is not None:
            return np.asarray(self.keras_model(x, training=training))
        out = self._call(x)
        return np.asarray(next(iter(out.values())) if isinstance(out, dict) else out)


def batched(call, x) -> np.ndarray:
    """`call` over `x` (an array or named arrays) in batches, outputs stacked: memory stays bounded."""
    n = len(next(iter(x.values()))) if isinstance(x, dict) else len(x)
    parts = [np.asarray(call({k: v[i:i + PREDICT_BATCH] for k, v in x.items()} if isinstance(x, dict) else x[i:i + PREDICT_BATCH]))
             for i in range(0, n, PREDICT_BATCH)]
    return np.concatenate(parts, axis=0)


def load_user_model(path: Path) -> UserModel:
    """The model at `path`, or one `ModelError` line naming why it cannot be examined."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"model '{path}' not found", "pass the path of a .keras or .h5 file or a SavedModel folder")
    if path.is_dir():
        return _saved_model(path)
    if path.suffix == ".keras":
        return _keras_file(path, "keras", safe_mode=True)
    if path.suffix in (".h5", ".hdf5"):
        _refuse_h5_code(path)
        model = _keras_file(path, "h5", safe_mode=False)
        model.notes.append("a legacy .h5 file: Keras' safe mode does not apply to it (CVE-2025-9905); "
                           "its configuration was checked for Lambda layers before loading")
        return model
    raise ModelError(f"cannot tell the format of model '{path}' from its suffix {path.suffix or '(none)'}",
                     "pass a .keras or .h5 file, or a SavedModel folder")


def _keras_file(path: Path, kind: str, safe_mode: bool) -> UserModel:
    import keras

    from orchestrator.models.saved import load_failure

    try:
        model = keras.models.load_model(path, compile=False, safe_mode=safe_mode)
    except Exception as exc:  # noqa: BLE001 - a file the doctor cannot load is the user's to fix
        raise load_failure(exc, f"model '{path}'", "save the model with built-in layers only") from None
    inputs = [{"name": t.name, "shape": [None if d is None else int(d) for d in t.shape]} for t in model.inputs]
    units = int(model.outputs[0].shape[-1]) if len(model.outputs) == 1 else 0
    if units == 0:
        raise ModelError(f"model '{path}' has {len(model.outputs)} outputs", "the doctor examines classifiers with one output")
    return UserModel(path, kind, inputs, units, _last_activation(model), keras_model=model)


def _last_activation(model) -> str | None:
    """The activation that makes the output: the last layer's own, or a final Activation/Softmax layer."""
    for layer in reversed(model.layers):
        name = type(layer).__name__
        if name == "Softmax":
            return "softmax"
        activation = getattr(layer, "activation", None)
        if activation is not None:
            return getattr(activation, "__name__", str(activation))
        if name not in ("Dropout", "Flatten", "Reshape"):
            return "linear"
    return None


def _refuse_h5_code(path: Path) -> None:
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            config = handle.attrs.get("model_config")
    except OSError as exc:
        raise ModelError(f"model '{path}' is not a readable HDF5 file ({exc})", "save the model again with model.save('name.keras')") from None
    if config is None:
        raise ModelError(f"'{path}' holds weights only, no model", "save the whole model with model.save('name.keras')")
    text = config.decode() if isinstance(config, bytes) else str(config)
    if "Lambda" in _class_names(json.loads(text)):
        raise ModelError(f"model '{path}' contains a Lambda layer (Python code); a .h5 file would run it on load",
                         "replace the Lambda by built-in layers and save the model as .keras")


def _class_names(node) -> set[str]:
    """Every `class_name` in a model config, nested models included."""
    if isinstance(node, list):
        return set().union(*(_class_names(v) for v in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    own = {node["class_name"]} if isinstance(node.get("class_name"), str) else set()
    return own.union(*(_class_names(v) for v in node.values()))


def _saved_model(path: Path) -> UserModel:
    import keras
    import tensorflow as tf

    from orchestrator.models.builder import first_line

    if not (path / "saved_model.pb").is_file():
        raise ModelError(f"'{path}' is a folder but not a SavedModel (no saved_model.pb)", "pass a .keras file or a SavedModel folder")
    try:
        signatures = tf.saved_model.load(str(path)).signatures
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"SavedModel '{path}' fails to load: {first_line(exc)}", "export it again with model.export(path)") from None
    endpoint = next((e for e in SERVING_ENDPOINTS if e in signatures), None)
    if endpoint is None:
        raise ModelError(f"SavedModel '{path}' has no serving signature (has {sorted(signatures)})", "export it with model.export(path)")
    signature = signatures[endpoint]
    specs = signature.structured_input_signature[1] or {}
    outputs = list(signature.structured_outputs.values())
    layer = keras.layers.TFSMLayer(str(path), call_endpoint=endpoint)
    inputs = [{"name": name, "shape": [None if d is None else int(d) for d in spec.shape]} for name, spec in specs.items()]

    def call(x):
        return layer({k: tf.constant(v) for k, v in x.items()} if isinstance(x, dict) else tf.constant(x, dtype=tf.float32))

    return UserModel(path, "saved_model", inputs, int(outputs[0].shape[-1]), None, _call=call,
                     notes=["a SavedModel has no layers to inspect: inference mode and the output activation cannot be examined"])
