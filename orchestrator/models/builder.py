"""A user's own model: a `build(spec)` function gg-train imports by reference and calls per trial.

The reference travels to every trial as text ('path/to/file.py:build' or 'package.module:build'),
never as a pickled function, so each worker imports it afresh; a file is loaded under a private
module name derived from its resolved path, the same in every process. The builder is trusted with
nothing: what it returns is checked (a keras.Model, one input that takes the data's shape, class
probabilities of the right width) and every mistake becomes one `ModelError` line, never a
traceback. The contract itself is documented where users read it: configs/builder_example.py.

Keras is imported inside functions only: the config validates references without loading TensorFlow.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.errors import ModelError

INPUT_FIX = "start the model with keras.Input(shape=spec.input_shape)"
CONTRACT = "see configs/builder_example.py for the builder contract"
DROPOUT_KINDS = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout", "GaussianDropout"}
REGULARIZED_L2, REGULARIZED_DROPOUT = 1e-3, 0.3  # check_builder's probe of the regularized build


@dataclass(frozen=True)
class BuildSpec:
    """What a builder gets: the data's shape, the class count, this trial's regularization and params."""

    input_shape: tuple[int, ...]  # (n_features,) standardized for tables, (H, W, C) raw pixels for images
    n_classes: int
    l2: float = 0.0  # 0: no regularization; > 0: keras.regularizers.L2(l2) on the kernels
    dropout: float = 0.0  # 0: no Dropout layers
    params: dict = field(default_factory=dict)  # model.params, one draw per trial


def first_line(exc: BaseException) -> str:
    """'TypeError: the first line of its message': enough to find the mistake, short enough for one line."""
    lines = str(exc).strip().splitlines()
    text = lines[0].strip() if lines else ""
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _split_ref(ref: str) -> tuple[str, str]:
    """('target', 'function'); the last ':' splits, so a Windows drive letter survives."""
    target, sep, name = str(ref).rpartition(":")
    if not sep or not target or not name:
        raise ModelError(f"model.builder {ref!r} does not name a function",
                         "write it as path/to/file.py:build or package.module:build")
    if not name.isidentifier():
        raise ModelError(f"model.builder {ref!r}: {name!r} is not a function name",
                         "after the ':' comes the name of the function, e.g. :build")
    return target, name


def is_file_ref(target: str) -> bool:
    """A builder named by a file path (path/to/models.py), not a module (package.module)."""
    return target.endswith(".py") or "/" in target or "\\" in target


def module_name_for(path: Path) -> str:
    """A private module name that depends only on the resolved path: equal in every process."""
    digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:12]
    stem = re.sub(r"\W", "_", path.stem)
    return "_gg_builder_%s_%s" % (stem, digest)  # a stable, importable module name


def _load_file(ref: str, target: str):
    """Execute the file as a fresh module (edits are picked up); its folder is importable meanwhile."""
    if not target.endswith(".py"):
        raise ModelError(f"model.builder {ref!r}: {target!r} is not a Python file",
                         "a file reference ends in .py, e.g. models/mine.py:build")
    path = Path(target).expanduser().resolve()
    if not path.is_file():
        raise ModelError(f"model.builder {ref!r}: file {target} not found (looked at {path})",
                         "give a path relative to the current directory or an absolute one")
    name = module_name_for(path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before exec: dataclasses and pickling look the module up by name
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise ModelError(f"model.builder {ref!r}: syntax error in {path.name} line {exc.lineno}: {exc.msg}",
                         "fix the file; `python " + str(target) + "` shows the same error") from None
    except BaseException as exc:  # noqa: BLE001 - whatever the user's module raises, one line
        sys.modules.pop(name, None)
        raise ModelError(f"model.builder {ref!r}: importing {path.name} raised {first_line(exc)}",
                         "fix the file; it must import without errors") from None
    finally:
        sys.path.remove(str(path.parent))
    return module


def _load_module(ref: str, target: str):
    """Import 'package.module'; a missing module is told apart from a failing import inside it."""
    if not all(part.isidentifier() for part in target.split(".")):
        raise ModelError(f"model.builder {ref!r}: {target!r} is neither a .py file nor a module name",
                         "write path/to/file.py:build or package.module:build")
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as exc:
        if exc.name and (target == exc.name or target.startswith(exc.name + ".")):
            raise ModelError(f"model.builder {ref!r}: no module named {exc.name!r}",
                             "install the package or run gg-train from the folder that holds it") from None
        raise ModelError(f"model.builder {ref!r}: importing {target} raised {first_line(exc)}",
                         "install what the module imports") from None
    except BaseException as exc:  # noqa: BLE001
        raise ModelError(f"model.builder {ref!r}: importing {target} raised {first_line(exc)}",
                         "fix the module; it must import without errors") from None


def load_builder(ref: str) -> Callable[[BuildSpec], Any]:
    """The function `ref` names ('path/to/file.py:build' or 'package.module:build'), imported now."""
    target, name = _split_ref(ref)
    module = _load_file(ref, target) if is_file_ref(target) else _load_module(ref, target)
    if not hasattr(module, name):
        defined = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_")
                         and getattr(v, "__module__", None) == module.__name__)
        found = f" (it defines: {', '.join(defined)})" if defined else ""
        raise ModelError(f"model.builder {ref!r}: {target} has no function {name!r}{found}",
                         "name the function after the ':'")
    fn = getattr(module, name)
    if not callable(fn):
        raise ModelError(f"model.builder {ref!r}: {name!r} is a {type(fn).__name__}, not a function",
                         f"define def {name}(spec): ... returning a keras.Model")
    return fn


def expected_widths(n_classes: int) -> tuple[int, ...]:
    """Output widths gg-train can read as class probabilities: 1 sigmoid or 2 softmax units for 2 classes."""
    return (1, 2) if n_classes == 2 else (n_classes,)


def _model_input(model, source: str, input_shape: tuple):
    """The one input tensor of a built model (None when not built yet); several inputs are refused."""
    try:
        inputs = list(model.inputs or [])
    except (AttributeError, ValueError):
        return None
    if len(inputs) > 1:
        raise ModelError(f"{source} has {len(inputs)} inputs; gg-train feeds one array of shape {(None, *input_shape)}",
                         "give the model a single keras.Input(shape=spec.input_shape)")
    return inputs[0] if inputs else None


def _check_input(model, source: str, input_shape: tuple, fix: str):
    """Compare the declared input shape, or build by a call when none is declared; the probe's dtype."""
    expected = (None, *input_shape)
    tensor = _model_input(model, source, input_shape)
    if tensor is not None:
        declared = tuple(tensor.shape)
        if len(declared) != len(expected) or any(d is not None and d != e for d, e in zip(declared[1:], input_shape)):
            raise ModelError(f"{source} takes inputs of shape {declared} but the data has shape {expected}", fix)
        return str(tensor.dtype)
    import keras

    try:  # a Sequential builds for any batch (a first call would pin it); a subclassed model by a call
        if isinstance(model, keras.Sequential):
            model.build(expected)
        else:
            model(np.zeros((2, *input_shape), dtype="float32"), training=False)
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"{source} cannot take inputs of shape {expected}: {first_line(exc)}", fix) from None
    return "float32"


def _probe(model, source: str, input_shape: tuple, dtype: str, fix: str) -> np.ndarray | None:
    """Outputs for a small random batch in inference mode (None for text inputs, which numbers cannot probe)."""
    if "string" in dtype:
        return None
    batch = np.random.default_rng(0).normal(size=(4, *input_shape))
    batch = batch.astype(dtype) if "float" in dtype else np.zeros_like(batch, dtype=dtype)
    try:
        return np.asarray(model(batch, training=False), dtype=np.float64)
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"{source} fails on a batch of shape {(4, *input_shape)}: {first_line(exc)}", fix) from None


def _check_output(model, source: str, n_classes: int, out: np.ndarray | None) -> None:
    """One output of class probabilities: (None, 1) sigmoid or (None, K) softmax."""
    if len(getattr(model, "outputs", None) or [None]) > 1:
        raise ModelError(f"{source} has {len(model.outputs)} outputs; gg-train trains one", "return a single-output model")
    shape = tuple(model.output_shape) if getattr(model, "outputs", None) else tuple(np.shape(out))
    shape = (None, *shape[1:])
    widths = expected_widths(n_classes)
    wanted = " or ".join(str((None, w)) for w in widths)
    last = "Dense(1, activation='sigmoid')" if n_classes == 2 else f"Dense({n_classes}, activation='softmax')"
    if len(shape) != 2 or shape[1] not in widths:
        raise ModelError(f"{source} outputs shape {shape}, expected {wanted} for {n_classes} classes", f"end the model in {last}")
    if out is None:
        return
    in_range = bool(np.all(np.isfinite(out)) and out.min() >= -1e-6 and out.max() <= 1 + 1e-6)
    if not in_range or (out.shape[1] > 1 and not np.allclose(out.sum(axis=1), 1.0, atol=1e-2)):
        raise ModelError(f"{source} does not output class probabilities (got values in [{out.min():.3g}, {out.max():.3g}])",
                         f"end the model in {last}, not in logits")


def check_model(model, source: str, input_shape, n_classes: int, fix: str = INPUT_FIX) -> None:
    """The contract every user model meets before it trains: a keras.Model, data-shaped input, probabilities out."""
    import keras

    if not isinstance(model, keras.Model):
        raise ModelError(f"{source} returned {type(model).__name__}, not a keras.Model",
                         "return keras.Model(inputs, outputs) or a keras.Sequential, uncompiled")
    input_shape = tuple(int(d) for d in input_shape)
    dtype = _check_input(model, source, input_shape, fix)
    _check_output(model, source, n_classes, _probe(model, source, input_shape, dtype, fix))


def build_user_model(ref: str, spec: BuildSpec):
    """The builder's model for this trial, checked. A compiled one is accepted: gg-train compiles it again."""
    fn = load_builder(ref)
    source = f"model.builder {ref!r}"
    try:
        model = fn(spec)
    except Exception as exc:  # noqa: BLE001 - a bug in the user's builder is a user's mistake
        raise ModelError(f"{source} raised {first_line(exc)} (spec: input_shape={spec.input_shape}, "
                         f"n_classes={spec.n_classes}, l2={spec.l2}, dropout={spec.dropout}, params={spec.params})",
                         CONTRACT) from None
    check_model(model, source, spec.input_shape, spec.n_classes)
    return model


def walk_layers(model):
    """Every layer, those inside nested models included (the nested model itself too)."""
    for layer in getattr(model, "layers", []):
        yield layer
        if getattr(layer, "layers", None) is not None and layer is not model:
            yield from walk_layers(layer)


def regularization_of(model) -> tuple[int, int]:
    """(regularization losses, Dropout layers with a rate above 0): what the variants really change."""
    losses = len(model.losses)
    dropouts = sum(1 for layer in walk_layers(model)
                   if type(layer).__name__ in DROPOUT_KINDS and float(getattr(layer, "rate", 0.0)) > 0)
    return losses, dropouts


def check_builder(ref: str, input_shape, n_classes: int, params: dict) -> list[str]:
    """Build twice on the driver (plain, regularized) before any trial; notes say what the variants change."""
    input_shape = tuple(int(d) for d in input_shape)
    plain = build_user_model(ref, BuildSpec(input_shape, n_classes, 0.0, 0.0, dict(params)))
    regular = build_user_model(ref, BuildSpec(input_shape, n_classes, REGULARIZED_L2, REGULARIZED_DROPOUT, dict(params)))
    notes = [f"builder {ref}: {plain.count_params():,} parameters"]
    if getattr(plain, "compiled", False) or getattr(plain, "optimizer", None) is not None:
        notes.append("the builder compiles its model: gg-train compiles it again with its own optimizer, loss and metrics")
    base_losses, base_dropouts = regularization_of(plain)
    losses, dropouts = regularization_of(regular)
    if base_losses:
        notes.append(f"with spec.l2 = 0 the model still has {base_losses} regularization losses: the baseline is not unregularized")
    if base_dropouts:
        notes.append(f"with spec.dropout = 0 the model still has {base_dropouts} active Dropout layers: the baseline is not unregularized")
    if losses <= base_losses:
        notes.append("the builder ignores spec.l2: its l2 variants equal the baseline")
    else:
        notes.append(f"spec.l2 adds {losses - base_losses} regularization losses")
    if dropouts <= base_dropouts:
        notes.append("the builder ignores spec.dropout: its dropout variants equal the baseline")
    else:
        notes.append(f"spec.dropout adds {dropouts - base_dropouts} Dropout layers")
    return notes
