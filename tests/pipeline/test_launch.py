"""`gg-train resume` refuses, in one line and before Ray starts, what it cannot trust: Tune state
that gg-train did not seal (a crafted or copied folder, whose tuner.pkl would run code when
unpickled) and a model file edited since the launch (the trials not yet run would train another
architecture under the same report)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestrator.pipeline import launch

from orchestrator.folder import experiments, state_seal
from orchestrator.config import load_config
from orchestrator.data import load_dataset
from orchestrator.errors import ExperimentError

CONFIG = """\
name: crafted
seed: 0
data: {synthetic: {n_samples: 120}}
training: {epochs: 1}
search: {samples: 1}
diagnosis: {learning_curve: false}
output: {tensorboard: false}
"""


class _Payload:
    """What a crafted tuner.pkl holds: unpickling it creates `marker`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').close()",)


def _folder(runs: Path, config_yaml: str, launched: bool = False) -> Path:
    """An experiment folder as a copy of one would arrive (or, `launched`, as a launch makes it):
    its config, and a manifest whose data hashes match, so nothing but the trust checks stands
    between it and a restore."""
    folder = runs / "crafted"
    source = runs.parent / "config.yaml"
    source.write_text(config_yaml, encoding="utf-8")
    config = load_config(source)
    manifest = {"status": "interrupted", "data": {"hashes": load_dataset(config.data, config.seed).describe()["hashes"]}, "checks": []}
    if launched:
        experiments.create(folder, config_yaml, manifest)
    else:
        folder.mkdir(parents=True)
        (folder / experiments.CONFIG_FILE).write_text(config_yaml, encoding="utf-8")
        (folder / experiments.MANIFEST).write_text(json.dumps({"schema_version": experiments.SCHEMA_VERSION, "name": "crafted",
                                                               **manifest}), encoding="utf-8")
    (folder / experiments.TUNE_DIR).mkdir()
    return folder


def _resume(runs: Path, key: Path, *flags: str) -> subprocess.CompletedProcess:
    env = {**os.environ, state_seal.KEY_ENV: str(key), "GG_DEBUG": ""}
    return subprocess.run([sys.executable, "-m", "orchestrator.cli", "resume", "crafted", "--runs-dir", str(runs), *flags],
                          capture_output=True, text=True, env=env, timeout=600)


def test_a_crafted_unsealed_folder_is_refused_in_one_line_and_its_pickle_never_runs(tmp_path):
    marker = tmp_path / "unpickled"
    folder = _folder(tmp_path / "runs", CONFIG)
    (folder / experiments.TUNE_DIR / "tuner.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    out = _resume(tmp_path / "runs", tmp_path / "seal.key")
    assert out.returncode == 2, out.stderr[-2000:]
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert "tuner.pkl" in lines[0] and "--trust-unsealed" in lines[0] and "runs code" in lines[0]
    assert not marker.exists()
    assert experiments.read_manifest(folder)["status"] == "interrupted"  # nothing written


BUILDER = """
import keras

def build(spec):
    inputs = keras.Input(shape=spec.input_shape)
    x = keras.layers.Dense(8, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
"""


def test_a_builder_edited_since_the_launch_is_refused_before_any_trial_runs(tmp_path, monkeypatch):
    from orchestrator.models.preflight import prepare

    builder = tmp_path / "models.py"
    builder.write_text(textwrap.dedent(BUILDER), encoding="utf-8")
    config_yaml = CONFIG + f"model: {{builder: '{builder}:build'}}\n"
    runs = tmp_path / "runs"
    folder = _folder(runs, config_yaml, launched=True)
    config = load_config(folder / experiments.CONFIG_FILE)
    dataset = load_dataset(config.data, config.seed)
    _, model = prepare(config, dataset.kind, dataset.input_shape, dataset.n_classes)  # what the launch records
    experiments.update_manifest(folder, model=model)
    builder.write_text(textwrap.dedent(BUILDER).replace("Dense(8", "Dense(64"), encoding="utf-8")

    def trained(*args, **kwargs):
        raise AssertionError("resume went on to train with the edited builder")

    monkeypatch.setattr(launch, "_resume_ray", trained)
    with pytest.raises(ExperimentError) as err:
        launch.resume(runs, "crafted")
    line = err.value.one_line()
    assert f"{builder}" in line and "changed since" in line and "restore the file" in line and "launch a new experiment" in line


def test_the_opt_in_says_in_one_line_what_it_lets_through(tmp_path):
    import io

    from rich.console import Console

    folder = _folder(tmp_path / "runs", CONFIG)
    (folder / experiments.TUNE_DIR / "tuner.pkl").write_bytes(b"\x80\x04N.")
    out = io.StringIO()
    launch._say_trusted(folder, Console(file=out, width=1000), trust_unsealed=True)
    assert out.getvalue().count("\n") == 1
    assert "warning: resuming 'crafted', which carries no seal of your gg-train key (tune/tuner.pkl)" in out.getvalue()
    launched = _folder(tmp_path / "launched", CONFIG, launched=True)
    launch._say_trusted(launched, Console(file=out, width=1000), trust_unsealed=True)  # sealed: nothing to say
    assert out.getvalue().count("\n") == 1
