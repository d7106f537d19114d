"""Property tests (Hypothesis) of every door user input comes through: config YAML, `--set`, CSV and
NPZ data, CLI flags. Each runs the real code in-process and holds it to the project's rule: bad input
is one `GGError` line, never another exception, and whatever passes is safe to hand to the trials
(finite float32 features and scaling).

Profiles: "ci" (the default: few examples, derandomized, the file runs in well under a minute) and
"long" (HYPOTHESIS_PROFILE=long: 500 examples a property, random seeds) for a hunt.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import time
import types
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from orchestrator.config import ExperimentConfig, load_config, parse_override, read_yaml, to_yaml
from orchestrator.errors import ConfigError, DataError, GGError

settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=500, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Applied per test, not loaded globally: other test files keep their own Hypothesis settings.
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def assert_one_line(err: GGError, kind: type[GGError] = GGError) -> str:
    assert isinstance(err, kind), f"{type(err).__name__}: {err}"
    line = err.one_line()
    assert line and len(line.splitlines()) == 1, repr(line)
    return line


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """One folder for the files the properties write (Hypothesis forbids function-scoped fixtures)."""
    return tmp_path_factory.mktemp("fuzz")


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


# ---- a. config YAML ------------------------------------------------------------------------------

NUMBERS = st.sampled_from([0, 1, -1, 2, 3, 0.5, 1e-3, 1e308, -1e308, 5e-324, 1e-320, float("inf"), float("-inf"),
                           float("nan"), 2**31, 2**32, 2**63, 2**64, 10**30, 10**400, -(10**400)])
WORDS = st.sampled_from(["relu", "adam", "asha", "auto", "csv", "npz", "parquet", "images", "synthetic", "random",
                         "tpe", "none", "balanced", "global", "mixed_float16", "val_loss", "min", "1e-3", ".inf",
                         "nan", "", " ", "x.py:build", "m.keras", "exp", "baseline", "l2", "dropout", "y", "ü", "a\nb"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), NUMBERS, WORDS, st.text(max_size=12))
JUNK = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(WORDS, st.text(max_size=6)), inner, max_size=3),
    st.fixed_dictionaries({}, optional={"loguniform": st.lists(inner, max_size=3), "uniform": st.lists(inner, max_size=3),
                                        "choice": st.lists(inner, max_size=3)})), max_leaves=8)


LEAF = st.one_of(NUMBERS, NUMBERS, NUMBERS.map(str), SCALARS, JUNK)  # mostly one number: past the type checks


def _model_of(annotation):
    """The pydantic section class behind a field's annotation (also inside list[...]), if any."""
    from pydantic import BaseModel

    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def section(model, depth: int = 0) -> st.SearchStrategy:
    """A mapping with a random subset of `model`'s real keys (sections recurse), values often junk."""
    fields = {}
    for name, info in model.model_fields.items():
        sub = _model_of(info.annotation)
        value = JUNK if sub is None or depth > 2 else st.one_of(section(sub, depth + 1), JUNK)
        if sub is not None and "list" in str(info.annotation):
            value = st.one_of(st.lists(section(sub, depth + 1), max_size=3), JUNK)
        fields[name] = value
    extra = st.dictionaries(st.text(max_size=8), JUNK, max_size=1)
    return st.tuples(st.fixed_dictionaries({}, optional=fields), extra).map(lambda pair: {**pair[1], **pair[0]})


def _nest(assignments: list[tuple[str, object]]) -> dict:
    """{"a.b": 1, "variants.0.kind": x} as nested YAML mappings (a `0` part makes a one-item list)."""
    root: dict = {}
    for dotted, value in assignments:
        node, parts = root, dotted.split(".")
        for i, part in enumerate(parts[:-1]):
            if parts[i + 1] == "0" and i + 2 < len(parts):
                node = node.setdefault(part, [{"kind": "baseline"}])
                node = node[0] if isinstance(node, list) and node and isinstance(node[0], dict) else {}
                continue
            if part == "0":
                continue
            child = node.setdefault(part, {})
            node = child if isinstance(child, dict) else {}
        node[parts[-1]] = value
    return root


YAML_BITS = st.sampled_from(["training:", "\n", "  epochs: ", "&a ", "*a", "!!python/object/apply:os.system ", "[", "]",
                             "{", "}", "- ", ": ", "'", '"', "\t", "1e309", ".nan", "? ", "---\n", "...\n", "%YAML 1.1\n",
                             "!!binary ", "<<: *a\n", "seed", "data", "!!float ", "~", "\x00", "\ufeff", "é"])
YAML_TEXT = st.one_of(
    section(ExperimentConfig).map(lambda d: yaml.safe_dump(d, allow_unicode=True, sort_keys=False)),
    # mostly defaults, a few keys junk: the inputs that get past most checks
    st.lists(st.tuples(st.deferred(lambda: st.sampled_from(DOTTED)), LEAF), min_size=1, max_size=3)
    .map(_nest).map(lambda d: yaml.safe_dump(d, allow_unicode=True, sort_keys=False)),
    st.lists(YAML_BITS, max_size=30).map("".join),
    st.text(max_size=200),
)


def _check_config_or_one_line(load) -> None:
    """`load()` gives a config that survives the round trip runs make (config.yaml, resume), or one ConfigError line."""
    try:
        config = load()
    except ConfigError as err:
        assert_one_line(err, ConfigError)
        return
    assert isinstance(config, ExperimentConfig)
    json.dumps(config.model_dump(mode="json"), allow_nan=False)  # manifest.json and report.json stay strict JSON
    again = ExperimentConfig.model_validate(yaml.safe_load(to_yaml(config)))
    assert again == config, "the resolved config.yaml does not load back to the same config (resume would differ)"


@PROFILE
@given(text=YAML_TEXT)
def test_config_yaml_is_a_config_or_one_line(work, text):
    path = write(work, "fuzz.yaml", text)
    _check_config_or_one_line(lambda: load_config(path))


# ---- b. --set KEY=VALUE --------------------------------------------------------------------------

def _dotted_keys(model, prefix: str = "") -> list[str]:
    keys = []
    for name, info in model.model_fields.items():
        keys.append(prefix + name)
        sub = _model_of(info.annotation)
        if sub is not None:
            keys += _dotted_keys(sub, f"{prefix}{name}.0." if "list" in str(info.annotation) else f"{prefix}{name}.")
    return keys


DOTTED = _dotted_keys(ExperimentConfig)
KEYS = st.one_of(st.sampled_from(DOTTED), st.text(max_size=12),
                 st.sampled_from(["", ".", "a..b", "variants.99.kind", "variants.x", "seed.x", "hparams.hidden.0",
                                  "variants.-1.kind", "data.split.train.x"]))
VALUES = st.one_of(LEAF.map(lambda v: yaml.safe_dump(v, default_flow_style=True, allow_unicode=True).removesuffix("\n...\n")
                            .strip()), st.text(max_size=20), YAML_BITS, NUMBERS.map(str))


@PROFILE
@given(sets=st.lists(st.tuples(KEYS, st.sampled_from(["=", "", "=="]), VALUES).map("".join), min_size=1, max_size=4))
def test_set_overrides_are_a_config_or_one_line(sets):
    def load():
        return load_config(None, [parse_override(s) for s in sets])

    _check_config_or_one_line(load)


# ---- c. and d. data: what `launch` does with it before Ray starts -------------------------------------

def _through_launch(path: Path, label: str | None) -> None:
    """`gg-train launch --data PATH --label LABEL` up to the start of Ray: the arrays handed to trials
    are finite float32 and their Normalization (`(x - mean) / max(sqrt(var), eps)`) stays finite."""
    from orchestrator.api.arguments import data_overrides
    from orchestrator.data import load_dataset
    from orchestrator.data.checks import run_checks

    try:
        config = load_config(None, data_overrides(path, label))
        dataset = load_dataset(config.data, config.seed)
        checks = run_checks(dataset)
        mean, variance = dataset.scaling()
    except (DataError, ConfigError) as err:
        assert_one_line(err)
        event(f"refused: {type(err).__name__} {err.message.replace(str(path), 'F')[:40]}")  # --hypothesis-show-statistics tells how deep inputs get
        return
    event(f"accepted: {dataset.kind}{' (encoded)' if dataset.encoding else ''}")
    assert [c["name"] for c in checks if c["status"] == "fail"] == [], "loaded data failed a data check"
    for split in (dataset.train, dataset.val, dataset.test):
        assert split.x.dtype == np.float32 and np.isfinite(split.x).all()
    if dataset.kind == "images":
        return
    for stat in (mean, variance):
        assert stat.dtype == np.float32 and stat.shape == dataset.input_shape and np.isfinite(stat).all()
    assert (variance >= 0).all()
    with np.errstate(all="ignore"):
        for split in (dataset.train, dataset.val):
            scaled = (split.x - mean) / np.maximum(np.sqrt(variance), np.float32(1e-7))
            assert np.isfinite(scaled).all(), "features overflow float32 once normalized"


CELLS = {
    "number": st.one_of(st.integers(-1000, 1000).map(str), st.floats(-1e6, 1e6, allow_nan=False).map(repr)),
    # finite in float32, but their squares are not: the variance of the Normalization layer overflows
    "huge": st.sampled_from(["1e38", "-3e38", "3.4e38", "1e20", "-1e19", "1e18", "2e19", "9007199254740993",
                             "99999999999999999999999", "1e-320"]),
    "special": st.sampled_from(["1e308", "-1e308", "1e300", "3.5e38", "inf", "-inf", "nan", "NaN", "-0"]),
    "text": st.one_of(st.sampled_from(["?", "", "a", "b", "n/a", "ü", "日本", " ", "NA", "True", "false", "-", "1,5"]),
                      st.text(max_size=5)),
}
NAMES = ["a", "b", "c", "x y", "ü", "1", "Unnamed: 0", "nan", "f", "y.1"]


@st.composite
def csv_tables(draw) -> tuple[str, str]:
    """(CSV text, label name): a few feature columns, each mostly one kind of cell, and a label column
    `y`; now and then a duplicate header, a missing label, an empty label cell, very few rows."""
    n_rows = draw(st.sampled_from([30, 20, 45, 12, 60, 30, 9, 5, 1, 0]))
    kinds = draw(st.lists(st.sampled_from(["number", "text", "number", "huge", "special", "text"]), min_size=draw(st.sampled_from([1, 1, 1, 0])), max_size=4))
    headers = draw(st.lists(st.sampled_from(NAMES), min_size=len(kinds), max_size=len(kinds), unique=True))
    if kinds and draw(st.integers(0, 9)) == 9:
        headers[-1] = draw(st.sampled_from([headers[0], "y", "y "]))
    classes = draw(st.lists(st.sampled_from(["0", "1", "2", "a", "b", "yes", "1.0", "inf", "ü", "-1"]),
                            min_size=draw(st.sampled_from([2, 2, 2, 1])), max_size=5, unique=True))
    if draw(st.integers(0, 9)) == 9:
        classes.append("")
    label = "y" if draw(st.integers(0, 9)) < 8 else draw(st.sampled_from(["a", "missing"]))
    position = draw(st.integers(0, len(kinds)))
    header = headers[:position] + ["y"] + headers[position:]
    pure = [not draw(st.booleans()) for _ in kinds]  # a column of one kind of cell, or one with strays
    rows = []
    for _ in range(n_rows):
        cells = [draw(CELLS[k] if clean or draw(st.integers(0, 5)) < 5 else CELLS[draw(st.sampled_from(list(CELLS)))])
                 for k, clean in zip(kinds, pure)]
        rows.append(cells[:position] + [draw(st.sampled_from(classes))] + cells[position:])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue(), label


@PROFILE
@given(table=csv_tables())
def test_csv_data_is_safe_for_trials_or_one_line(work, table):
    text, label = table
    _through_launch(write(work, "fuzz.csv", text), label)


SMALL = st.one_of(st.floats(-10, 10), st.integers(0, 2).map(float))
FLOATS = {  # the values of one float array: small, with huge ones (finite in float64 or even float32), or anything
    "small": SMALL,
    "huge": st.one_of(SMALL, st.sampled_from([1e308, -1e300, 1e38, 3e38, 3.5e38, 1e20, -2e19, 65504.0, 1e5, 1e-320])),
    "any": st.one_of(SMALL, st.floats(width=64)),
}
NPZ_DTYPES = ["float64"] * 3 + ["float32"] * 2 + ["float16", "int8", "int64", "uint8", "bool", "complex64", "<U3", "object"]


def _array(draw, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    if dtype == "object":
        return np.array(draw(st.lists(st.one_of(st.integers(), st.text(max_size=3), st.none()), min_size=n, max_size=n))
                        + [None], dtype=object)[:n].reshape(shape)
    if dtype == "<U3":
        return np.array(draw(st.lists(st.text(max_size=3), min_size=n, max_size=n)), dtype="<U3").reshape(shape)
    if dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        values = draw(st.lists(st.integers(int(info.min), int(info.max)) | st.integers(0, 3), min_size=n, max_size=n))
        return np.array(values, dtype=dtype).reshape(shape)
    if dtype == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool).reshape(shape)
    values = draw(st.lists(FLOATS[draw(st.sampled_from(["small", "huge", "any"]))], min_size=n, max_size=n))
    with np.errstate(all="ignore"):
        return np.array(values, dtype=np.float64).astype(dtype).reshape(shape)


@st.composite
def npz_archives(draw) -> dict[str, np.ndarray] | bytes:
    """The arrays of an NPZ (X, y, sometimes X_test/y_test), or bytes that are no NPZ at all."""
    if draw(st.integers(0, 19)) == 19:
        return draw(st.sampled_from([b"", b"PK\x03\x04junk", b"\x93NUMPY\x01\x00", b"not an archive"]))
    n = draw(st.sampled_from([30, 12, 30, 3, 1, 0]))
    plausible = not draw(st.booleans())  # a table or images of numbers with one int label per row: the deep paths
    shape = draw(st.sampled_from([(n, 3), (n, 1), (n, 2, 2), (n, 3, 3, 1)] if plausible else
                                 [(n,), (n, 2, 2, 3), (n, 2, 2, 2), (n + 1, 2), ()]))
    arrays = {"X": _array(draw, draw(st.sampled_from(NPZ_DTYPES[:9] if plausible else NPZ_DTYPES)), shape)}
    y_dtype = draw(st.sampled_from(["int64", "uint8", "float64"] if plausible else ["<U3", "bool", "object", "complex64"]))
    y_shape = draw(st.sampled_from([(n,)] if plausible else [(n,), (n, 1), (max(n - 1, 0),)]))
    arrays["y"] = _array(draw, y_dtype, y_shape) if y_dtype in ("<U3", "object") else \
        np.array(draw(st.lists(st.integers(0, 2), min_size=int(np.prod(y_shape)), max_size=int(np.prod(y_shape)))),
                 dtype=y_dtype).reshape(y_shape)
    if draw(st.integers(0, 3)) == 3:
        m = draw(st.sampled_from([0, 2, 6]))
        arrays["X_test"] = _array(draw, draw(st.sampled_from(NPZ_DTYPES[:7])), (m, *shape[1:]))
        arrays["y_test"] = np.arange(m) % 3
    if not plausible and draw(st.integers(0, 4)) == 4:
        arrays.pop(draw(st.sampled_from(sorted(arrays))))
    return arrays


@PROFILE
@given(archive=npz_archives())
def test_npz_data_is_safe_for_trials_or_one_line(work, archive):
    path = work / "fuzz.npz"
    if isinstance(archive, bytes):
        path.write_bytes(archive)
    else:
        np.savez(path, **archive)  # object arrays are pickled here; loading must refuse to unpickle them
    real_load = np.load
    calls = []

    def spy(*args, **kwargs):
        calls.append(kwargs.get("allow_pickle"))
        return real_load(*args, **kwargs)

    with mock.patch.object(np, "load", spy):
        _through_launch(path, None)
    assert calls and all(flag is False for flag in calls), f"np.load called with allow_pickle={calls}"


# ---- e. CLI flags -----------------------------------------------------------------------------------

INT_FLAGS = {"--epochs": (1, 10_000), "--samples": (1, 1000), "--gpus": (0, None), "--gpus-per-trial": (1, None),
             "--cpu-replicas": (1, 64), "--seed": (0, 2**32 - 1)}


@st.composite
def bad_flags(draw) -> list[str]:
    """One flag with a value that must be refused: out of its range, not a number, not finite."""
    flag = draw(st.sampled_from([*INT_FLAGS, "--cpus-per-trial"]))
    words = st.sampled_from(["abc", "", "1.5e", "--", "٣", "1_0x", "0x10", "ten"])
    if flag == "--cpus-per-trial":
        value = draw(st.one_of(st.floats(max_value=0).map(repr), st.sampled_from(["inf", "-inf", "nan", "1e309"]), words))
    else:
        low, high = INT_FLAGS[flag]
        below = st.integers(max_value=low - 1)
        value = str(draw(below if high is None else st.one_of(below, st.integers(min_value=high + 1))))
        value = draw(st.sampled_from([value, value, draw(words)]))
    return [flag, value]


@contextlib.contextmanager
def _no_ray():
    """Reaching `cluster.connect` means the bad flag got through every check: fail loudly instead."""
    import orchestrator.tuning

    stub = types.ModuleType("orchestrator.tuning.cluster")

    def connect(address):
        raise AssertionError("the CLI got as far as starting Ray")

    stub.connect = connect
    stub.connected = connect  # the launch's `with cluster.connected(address):` reaches it the same way
    with mock.patch.dict(sys.modules, {"orchestrator.tuning.cluster": stub}), \
            mock.patch.object(orchestrator.tuning, "cluster", stub, create=True):
        yield


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """`gg-train ARGS` in-process through `orchestrator.cli.main`: (exit code, stdout, stderr)."""
    from orchestrator.cli import main

    out, err = io.StringIO(), io.StringIO()
    with _no_ray(), mock.patch.object(sys, "argv", ["gg-train", *args]), mock.patch.dict(os.environ), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        os.environ.pop("GG_DEBUG", None)
        try:
            main()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
    return code, out.getvalue(), err.getvalue()


@PROFILE
@given(flags=bad_flags())
def test_bad_flags_are_one_line_exit_2_before_ray(work, flags):
    runs = work / "runs"
    code, out, err = run_cli(["launch", *flags, "--runs-dir", str(runs), "--name", "fuzz"])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, (flags, code, err)
    assert lines[0].startswith(("config error: ", "usage error: ")), lines
    assert not runs.exists() or not any(runs.iterdir()), "the runs folder got an entry"


# ---- YAML safety ----------------------------------------------------------------------------------

def test_regression_yaml_python_tag_is_one_line(work):
    path = write(work, "tag.yaml", 'seed: !!python/object/apply:os.system ["echo pwned > pwned.txt"]\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "not valid YAML" in assert_one_line(err.value, ConfigError)
    assert not Path("pwned.txt").exists()


def _billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + f"\nname: *a{levels}\n"


def test_regression_yaml_alias_bomb_is_refused_quickly(work):
    path = write(work, "bomb.yaml", _billion_laughs())
    started = time.monotonic()
    with pytest.raises(ConfigError) as err:
        read_yaml(path)
    assert time.monotonic() - started < 5
    assert "alias" in assert_one_line(err.value, ConfigError)


def test_regression_yaml_alias_bomb_inside_a_section_is_refused(work):
    bomb = _billion_laughs(6, 9).replace("name: *a6", "model:\n  params:\n    big: *a6")
    with pytest.raises(ConfigError) as err:
        load_config(write(work, "bomb2.yaml", bomb))
    assert_one_line(err.value, ConfigError)


def test_regression_yaml_few_aliases_still_load(work):
    text = "hparams:\n  hidden: &h [64, 32]\nvariants:\n  - kind: baseline\n    params: {hidden: *h}\n"
    assert load_config(write(work, "anchors.yaml", text)).variants[0].params.hidden == [64, 32]


def test_regression_yaml_huge_file_is_refused(work):
    path = write(work, "huge.yaml", "# padding\n" * 200_000 + "seed: 1\n")
    with pytest.raises(ConfigError) as err:
        read_yaml(path)
    assert "too large" in assert_one_line(err.value, ConfigError)


def test_regression_yaml_alias_to_itself_is_refused(work):
    # pydantic accepted the endless value inside a choice; model_dump and config.yaml then recursed forever
    with pytest.raises(ConfigError) as err:
        load_config(write(work, "loop.yaml", "model:\n  params:\n    k: &a {choice: [*a]}\n"))
    assert "refers to itself" in assert_one_line(err.value, ConfigError)


# ---- regressions: the minimal inputs Hypothesis (or its properties, read closely) found -------------

@pytest.mark.parametrize("text", ["seed: !!float\n", "seed: !!int\n", "seed: !!bool ''\n", "name: 2001-02-30\n",
                                  "seed: !!int x\n", "[" * 2000 + "]" * 2000 + "\n"])
def test_regression_yaml_values_pyyaml_cannot_construct_are_one_line(work, text):
    # PyYAML raised IndexError/KeyError/ValueError/RecursionError, not YAMLError: a traceback
    with pytest.raises(ConfigError) as err:
        load_config(write(work, "construct.yaml", text))
    assert "not valid YAML" in assert_one_line(err.value, ConfigError)


@pytest.mark.parametrize("text", ["name=!!float", "seed=!!int x", "name=2001-02-30"])
def test_regression_set_value_pyyaml_cannot_construct_is_text(text):
    # `--set name=!!float` was an IndexError; a value YAML cannot build is the text typed, as for bad syntax
    keys, value = parse_override(text)
    assert value == text.partition("=")[2]
    if value == "2001-02-30":  # a valid experiment name, as typed
        assert load_config(None, [(keys, value)]).name == value
        return
    with pytest.raises(ConfigError) as err:
        load_config(None, [(keys, value)])
    assert_one_line(err.value, ConfigError)


def test_regression_integer_beyond_float_range_in_hparams():
    # hparams.learning_rate: 10**400 raised OverflowError in the range check
    with pytest.raises(ConfigError) as err:
        load_config(None, [parse_override("hparams.learning_rate=1" + "0" * 400)])
    assert "learning_rate must be a number > 0" in assert_one_line(err.value, ConfigError)


@pytest.mark.parametrize("text", ["output.checkpoint_seconds=.inf", "resources.cpus_per_trial=inf",
                                  "scheduler.reduction_factor=1e309", "data.image_memory_mb=Infinity", "model.params.k=.nan",
                                  "model.params.k={choice: [.inf]}", "model.params.k=.inf"])
def test_regression_non_finite_config_numbers_are_refused(text):
    # .inf passed `gt=0`; config.yaml then held null for it (resume failed) and manifest.json was not JSON
    with pytest.raises(ConfigError) as err:
        load_config(None, [parse_override(text)])
    assert "must be a finite number" in assert_one_line(err.value, ConfigError)


def test_regression_seed_beyond_numpy_range():
    # --seed 4294967296 loaded, then scikit-learn's split raised InvalidParameterError inside launch
    with pytest.raises(ConfigError) as err:
        load_config(None, [(["seed"], 2**32)])
    assert assert_one_line(err.value, ConfigError).startswith("config error: seed: ")
    assert load_config(None, [(["seed"], 2**31 - 1)]).seed == 2**31 - 1


def test_regression_cli_cpus_per_trial_inf(work):
    code, out, err = run_cli(["launch", "--cpus-per-trial", "inf", "--runs-dir", str(work / "runs"), "--name", "x"])
    assert code == 2 and err.strip().startswith("config error: resources.cpus_per_trial: must be a finite number"), err


def test_regression_npz_with_no_rows(work):
    # X of shape (0, 1): IndexError in the label encoding (classes[0] of no classes)
    path = work / "empty.npz"
    np.savez(path, X=np.zeros((0, 1)), y=np.zeros(0, dtype=np.int64))
    with pytest.raises(DataError) as err:
        _through_launch_raising(path, None)
    assert "no rows" in assert_one_line(err.value, DataError)


def _through_launch_raising(path: Path, label: str | None):
    from orchestrator.api.arguments import data_overrides
    from orchestrator.data import load_dataset

    config = load_config(None, data_overrides(path, label))
    return load_dataset(config.data, config.seed)


def _rows(values: list[str], extra: str = "") -> str:
    return "a,y\n" + "".join(f"{v},{i % 2}\n" for i, v in enumerate(values)) + extra


def test_regression_csv_values_whose_float32_variance_overflows(work):
    # 1e38 is finite in float32, so it passed the finiteness check; its variance was inf in the trials
    path = write(work, "big.csv", _rows(["0"] * 3 + ["1e38"] * 27))
    with pytest.raises(DataError) as err:
        _through_launch_raising(path, "y")
    assert "feature 'a' has values as large as 1e+38" in assert_one_line(err.value, DataError)


def test_regression_encoded_csv_values_whose_float32_variance_overflows(work):
    # the same through the table encoding (an empty cell): median fill, then an infinite variance
    path = write(work, "big_encoded.csv", _rows(["0", "5", "1e38"] * 10, extra=",1\n,0\n"))
    with pytest.raises(DataError) as err:
        _through_launch_raising(path, "y")
    assert "'a' has values as large as 1e+38" in assert_one_line(err.value, DataError)


def test_regression_npz_float64_beyond_float32(work):
    # 1e300 is finite in float64 and passed the check, then became inf in the float32 features
    path = work / "f64.npz"
    x = np.tile(np.array([[0.0], [1.0], [1e300]]), (10, 1))
    np.savez(path, X=x, y=np.arange(30) % 2)
    with pytest.raises(DataError) as err:
        _through_launch_raising(path, None)
    assert "feature 'x0' has values as large as 1e+300" in assert_one_line(err.value, DataError)


def test_regression_large_but_scalable_features_still_load(work):
    # 1e18 (nanosecond timestamps are ~1.7e18) stays: its float64-computed variance fits float32
    path = write(work, "ok_big.csv", _rows([str(v * 1e18) for v in (0, 1, 5, 9, 2)] * 6))
    dataset = _through_launch_raising(path, "y")
    mean, var = dataset.scaling()
    assert mean.dtype == var.dtype == np.float32 and np.isfinite(var).all() and var[0] > 1e36


def test_npz_object_arrays_are_refused_without_unpickling(work):
    path = work / "objects.npz"
    np.savez(path, X=np.array([[1, "a"]] * 30, dtype=object), y=np.arange(30) % 2)
    with mock.patch.object(np, "load", wraps=np.load) as spy, pytest.raises(DataError) as err:
        _through_launch_raising(path, None)
    assert "holds Python objects" in assert_one_line(err.value, DataError)
    assert spy.call_args.kwargs.get("allow_pickle") is False
