"""A user's saved .keras model: its architecture, trained afresh per variant, never its weights.

The question gg-train answers is which regularization fixes the overfitting of *this* architecture,
so every variant starts from new random weights and differs from the baseline only in the L2 on the
kernels and the Dropout rates. The edits happen on the serialized config (nested models included)
and Keras rebuilds from it; the one state carried over is that of preprocessing layers (an adapted
Normalization's mean and variance, a lookup's vocabulary), which is data knowledge, not training.
`load_architecture` returns a plain dict (lists, no arrays) so a worker on another machine rebuilds
without the file. Loading is in Keras's safe mode: a file must not be able to run code.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.errors import ModelError
from orchestrator.models.builder import DROPOUT_KINDS, check_model, first_line, walk_layers

FORMAT = "gg-train.saved-architecture/1"
PREPROCESSING = {"Normalization", "Rescaling", "StringLookup", "IntegerLookup", "Discretization",
                 "CategoryEncoding", "TextVectorization"}
# Which regularizer argument holds each kind's kernel: the only weights the l2 variants touch.
KERNELS = {**{k: ("kernel_regularizer",) for k in ("Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D",
                                                    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")},
           "DepthwiseConv1D": ("depthwise_regularizer",), "DepthwiseConv2D": ("depthwise_regularizer",),
           "SeparableConv1D": ("depthwise_regularizer", "pointwise_regularizer"),
           "SeparableConv2D": ("depthwise_regularizer", "pointwise_regularizer")}
KERNEL_WORDS = {"kernel_regularizer": "kernel", "depthwise_regularizer": "depthwise kernel",
                "pointwise_regularizer": "pointwise kernel"}
STRIPPED = ("bias_regularizer", "activity_regularizer")  # gone in every variant: only kernel L2 differs
# Layers a Dropout goes after rather than between (Dense → its activation/normalization → Dropout).
FOLLOWERS = {"Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "BatchNormalization", "LayerNormalization"}


def _load(path: Path):
    """The saved model, loaded without compiling and in safe mode; every failure one ModelError."""
    import keras

    path = Path(path)
    where = f"model.file {str(path)!r}"
    if path.suffix != ".keras":
        raise ModelError(f"{where} is not a .keras file",
                         "save the model with model.save('name.keras'); for .h5, load it in Keras and save it as .keras")
    if not path.is_file():
        raise ModelError(f"{where} not found", "give a path relative to the current directory or an absolute one")
    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - a file gg-train cannot load is the user's to fix
        raise load_failure(exc, where, "write a model.builder instead") from None


def load_failure(exc: Exception, where: str, otherwise: str) -> ModelError:
    """Why Keras could not load a model file, as one line; `otherwise` is the way around it."""
    text = str(exc)
    if "safe_mode" in text or "Lambda" in text:
        return ModelError(f"{where} contains a Lambda layer (Python code), which Keras refuses to load in safe mode",
                          f"replace the Lambda by built-in layers, or {otherwise}")
    if "zip" in text or "File not found" in text:
        return ModelError(f"{where} is not a valid .keras archive ({first_line(exc)})", "save the model again with model.save('name.keras')")
    return ModelError(f"{where} fails to load: {first_line(exc)}", "custom layers must be registered with "
                      f"keras.saving.register_keras_serializable and imported; or {otherwise}")


def named_layers(model, prefix: str = ""):
    """(path, layer) for every layer, nested models included: 'outer/inner/dense' is stable across rebuilds."""
    for layer in getattr(model, "layers", []):
        path = f"{prefix}{layer.name}"
        yield path, layer
        if getattr(layer, "layers", None) is not None and layer is not model:
            yield from named_layers(layer, path + "/")


def _state_of(layer) -> dict:
    """A preprocessing layer's adapted state as lists: its variables and, when adapted, its vocabulary."""
    store: dict = {}
    layer.save_own_variables(store)
    state: dict = {"variables": {k: {"dtype": str(np.asarray(v).dtype), "value": np.asarray(v).tolist()}
                                 for k, v in store.items()}}
    if hasattr(layer, "get_vocabulary") and layer.get_config().get("vocabulary") is None:
        vocabulary = layer.get_vocabulary(include_special_tokens=True)
        state["vocabulary"] = [v.decode() if isinstance(v, bytes) else v for v in vocabulary]
    return state


def _restore(layer, state: dict) -> None:
    """Put a preprocessing layer's state back (load_own_variables finalizes a Normalization)."""
    store = {k: np.asarray(v["value"], dtype=v["dtype"]) for k, v in state.get("variables", {}).items()}
    if "vocabulary" in state:
        if getattr(layer, "output_mode", None) == "tf_idf":
            layer.set_vocabulary(state["vocabulary"], idf_weights=store.get("idf_weights"))
        else:
            layer.set_vocabulary(state["vocabulary"])
    if store:
        layer.load_own_variables(store)


def load_architecture(path: Path) -> dict:
    """The saved model's serialized config plus its preprocessing state: all a worker needs to rebuild it."""
    import keras

    model = _load(path)
    state = {p: _state_of(layer) for p, layer in named_layers(model) if type(layer).__name__ in PREPROCESSING}
    state = {p: s for p, s in state.items() if s["variables"] or "vocabulary" in s}  # Rescaling: all in config
    return {"format": FORMAT, "source": str(path), "model": keras.saving.serialize_keras_object(model), "state": state}


def _layer_dicts(node: dict):
    """Every serialized layer inside a serialized model: nested models' and wrappers' layers too."""
    config = node.get("config", {}) if isinstance(node, dict) else {}
    for child in config.get("layers", []) or []:
        yield child
        yield from _layer_dicts(child)
    for key in ("layer", "backward_layer"):
        if isinstance(config.get(key), dict) and "class_name" in config[key]:
            yield config[key]
            yield from _layer_dicts(config[key])


def _describe(reg: dict) -> str:
    """'L2(0.01)' for a serialized regularizer."""
    args = ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in (reg.get("config") or {}).items())
    return f"{reg.get('class_name', 'regularizer')}({args})"


def _set_l2(config: dict, l2: float, changes: list[str]) -> None:
    """Kernel L2(l2) on every kernel layer, none when l2 == 0; bias and activity regularizers removed."""
    import keras

    wanted = keras.saving.serialize_keras_object(keras.regularizers.L2(l2)) if l2 > 0 else None
    for layer in _layer_dicts(config):
        cfg, name = layer.get("config", {}), layer.get("config", {}).get("name", layer.get("class_name"))
        for key in KERNELS.get(layer.get("class_name"), ()):
            old, what = cfg.get(key), KERNEL_WORDS[key]
            if wanted is not None:
                changes.append(f"{name}: L2 {l2:g} on {what}" + (f" (was {_describe(old)})" if old else ""))
            elif old:
                changes.append(f"{name}: {what} regularizer {_describe(old)} removed (baseline: unregularized)")
            cfg[key] = copy.deepcopy(wanted)
        for key in STRIPPED if layer.get("class_name") in KERNELS else ():
            if cfg.get(key):
                changes.append(f"{name}: {key.replace('_', ' ')} {_describe(cfg[key])} removed (gg-train varies kernel L2 only)")
                cfg[key] = None


def _set_rates(config: dict, dropout: float, changes: list[str]) -> int:
    """Every existing Dropout-like layer gets rate `dropout` (0 switches it off); returns how many there are."""
    found = 0
    for layer in _layer_dicts(config):
        if layer.get("class_name") not in DROPOUT_KINDS:
            continue
        found += 1
        cfg = layer["config"]
        old = float(cfg.get("rate", 0.0))
        if old != dropout:
            off = " (baseline: dropout off)" if dropout == 0 else ""
            changes.append(f"{cfg.get('name')}: rate {old:g} → {dropout:g}{off}")
        cfg["rate"] = float(dropout)
    return found


def _insert_dropout(config: dict, dropout: float, changes: list[str]) -> None:
    """In a Sequential, a Dropout after each hidden Dense (after its activation/normalization), not the output."""
    import keras

    layers = config["config"]["layers"]
    names = {d.get("config", {}).get("name") for d in _layer_dicts(config)}
    dense = [i for i, d in enumerate(layers) if d.get("class_name") == "Dense"]
    inserts = []
    for i in dense[:-1]:
        at = i + 1
        while at < len(layers) and layers[at].get("class_name") in FOLLOWERS:
            at += 1
        name = f"{layers[i]['config']['name']}_dropout"
        while name in names:
            name += "_"
        names.add(name)
        inserts.append((at, name))
        changes.append(f"added dropout after {layers[at - 1]['config']['name']} (rate {dropout:g})")
    for at, name in reversed(inserts):  # from the back: earlier positions stay valid
        layers.insert(at, keras.saving.serialize_keras_object(keras.layers.Dropout(float(dropout), name=name)))
    if len(dense) < 2:
        changes.append("no hidden Dense layer to put Dropout after: the dropout variants equal the baseline")


def _is_sequential(config: dict) -> bool:
    return config.get("class_name") == "Sequential"


def rebuild(path_or_config, *, l2: float, dropout: float) -> tuple[Any, list[str]]:
    """(the saved architecture with new random weights and this variant's L2/Dropout, the changes made)."""
    import keras

    arch = load_architecture(Path(path_or_config)) if isinstance(path_or_config, (str, Path)) else path_or_config
    if not isinstance(arch, dict) or ("model" not in arch and "class_name" not in arch):
        raise ModelError(f"cannot rebuild from a {type(arch).__name__}", "pass a .keras path or what load_architecture returned")
    config = copy.deepcopy(arch.get("model", arch))
    changes: list[str] = []
    _set_l2(config, float(l2), changes)
    if _set_rates(config, float(dropout), changes) == 0 and dropout > 0:
        if _is_sequential(config):
            _insert_dropout(config, float(dropout), changes)
        else:
            changes.append("no Dropout layer and not a Sequential: the dropout variants equal the baseline")
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"the saved architecture cannot be rebuilt: {first_line(exc)}",
                         "save it with the Keras version gg-train runs, or write a model.builder instead") from None
    state = arch.get("state", {}) if "model" in arch else {}
    for path, layer in named_layers(model):
        if path in state:
            _restore(layer, state[path])
            changes.append(f"{path}: adapted {type(layer).__name__} state kept")
    return model, changes


def has_own_preprocessing(model) -> bool:
    """Whether the model scales/encodes its inputs itself (gg-train's own scaling would then be doubled)."""
    return any(type(layer).__name__ in PREPROCESSING for layer in walk_layers(model))


def check_saved_model(path: Path, input_shape, n_classes: int) -> list[str]:
    """Driver-side check before any trial: loads, fits the data's shape and classes, rebuilds; notes for the report."""
    model = _load(path)
    shape = tuple(int(d) for d in input_shape)
    check_model(model, f"model.file {str(path)!r}", shape, n_classes,
                fix=f"save a model that starts with keras.Input(shape={shape}), the shape gg-train feeds")
    arch = load_architecture(path)
    _, regularized = rebuild(arch, l2=1e-3, dropout=0.3)
    notes = [f"model.file {path}: {model.count_params():,} parameters, trained afresh (its saved weights are not used)"]
    own = sorted({type(layer).__name__ for layer in walk_layers(model) if type(layer).__name__ in PREPROCESSING})
    if own:
        notes.append(f"has its own {', '.join(own)} layer{'s' if len(own) > 1 else ''} (adapted state kept)")
    notes += [c for c in regularized if "equal the baseline" in c]
    return notes
