"""The console carries gg-train's words only: a real `gg-train launch` (one trial of two errors on
purpose) prints no Ray or TensorFlow line on stdout or stderr; those lines are in runs/NAME/logs/;
the errored trial is one line naming its full log; `evaluate` and `report` log the same way and
`--verbose` shows the lines again. One small launch serves every test here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

pytestmark = pytest.mark.ray

# What gg-train itself prints, line by line: its own lines, indented rows (progress, the diagnosis
# sentences, the table's centred title), the table's box drawing, the closing lines, `evaluate`'s
# scores, and `kind: text` lines (an error and its fix, `report`'s paths, `saved: …`).
OURS = re.compile(r"^(gg-train: |  |[┏┃┡│└]|best: |report: |model:  |took \d+ s$|\S+ on .+ \(\d+ rows\): |[\w.][\w. ]*: \S)")
# What Ray and TensorFlow print: timestamped Python log lines, absl/glog lines, tracebacks, Ray's advice.
THEIRS = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d|^[IWEF]\d{4} |^WARNING: All log messages|Traceback|Tuner\.restore|\bray::|"
                    r"\(pid=\d+")

PICKY_BUILDER = '''
import keras


def build(spec):
    if spec.l2 > 0.01:  # the l2 variant below asks for 0.05: its trial errors, the baseline trains
        raise ValueError("planted failure: this model refuses an L2 above 0.01")
    reg = keras.regularizers.L2(spec.l2) if spec.l2 else None
    inputs = keras.Input(spec.input_shape)
    hidden = keras.layers.Dense(8, activation="relu", kernel_regularizer=reg)(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))
'''

CONFIG = {"name": "console", "seed": 1, "data": {"synthetic": {"n_samples": 300}}, "training": {"epochs": 2},
          "variants": [{"kind": "baseline"}, {"kind": "l2", "params": {"l2": 0.05}}], "search": {"samples": 1},
          "scheduler": {"type": "none"}, "failure": {"max_retries": 0}, "diagnosis": {"learning_curve": False},
          "output": {"tensorboard": False}}


def foreign_lines(text: str) -> list[str]:
    """Console lines that are not gg-train's."""
    return [line for line in text.splitlines() if line.strip() and (not OURS.match(line) or THEIRS.search(line))]


def _gg(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestrator.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    """`gg-train launch` in a subprocess, as a user runs it: (process, experiment folder)."""
    where = tmp_path_factory.mktemp("console")
    (where / "picky.py").write_text(PICKY_BUILDER, encoding="utf-8")
    (where / "exp.yaml").write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    proc = _gg("launch", "--config", "exp.yaml", "--model", "picky.py:build", "--name", "quiet", "--gpus", "0", cwd=where)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, where / "runs" / "quiet"


def test_a_launch_prints_only_gg_trains_lines_and_logs_ray_and_tensorflow(launched):
    proc, exp_dir = launched
    assert foreign_lines(proc.stdout) == [] and foreign_lines(proc.stderr) == [], proc.stdout + proc.stderr
    assert "best: baseline" in proc.stdout and proc.stderr == ""
    log = (exp_dir / "logs" / "driver.log").read_text(errors="replace")
    assert "ERROR tune_controller.py" in log and "Trial task failed for trial l2_" in log  # Tune's own logger
    assert list((exp_dir / "logs" / "ray").glob("worker-*.err")), "the workers' stderr was not kept"


def test_an_errored_trial_is_one_line_naming_its_full_log(launched):
    proc, exp_dir = launched
    (line,) = [line for line in proc.stdout.splitlines() if "errored after" in line]
    assert "ValueError: planted failure" in line
    kept = Path(line.split("full log: ")[1].split()[0])
    assert kept.parent == exp_dir / "logs" / "trials" and kept.name.startswith("l2_")
    text = kept.read_text(errors="replace")
    assert "Traceback" in text or "File " in text
    assert "planted failure: this model refuses an L2 above 0.01" in text


def test_evaluate_and_report_log_in_the_folder_and_verbose_shows_the_lines(launched, tmp_path):
    from orchestrator.config import load_config
    from orchestrator.data import load_dataset

    _, exp_dir = launched
    config = load_config(exp_dir / "experiment.yaml")
    dataset = load_dataset(config.data, config.seed)
    np.savez(tmp_path / "new.npz", X=dataset.test.x, y=dataset.test.y)
    runs = str(exp_dir.parent)
    for args in (["evaluate", "quiet", "--data", str(tmp_path / "new.npz")], ["report", "quiet"]):
        proc = _gg(*args, "--runs-dir", runs, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert foreign_lines(proc.stdout) == [] and proc.stderr == "", proc.stdout + proc.stderr
    logged = (exp_dir / "logs" / "evaluate.log").read_text(errors="replace")
    if not foreign_lines(logged):
        pytest.skip("TensorFlow printed nothing here: nothing for --verbose to show")
    proc = _gg("evaluate", "quiet", "--data", str(tmp_path / "new.npz"), "--runs-dir", runs, "--verbose", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert foreign_lines(proc.stderr), proc.stderr
    assert (exp_dir / "logs" / "evaluate.log").read_text(errors="replace") == logged  # --verbose: the console, not the log


def test_tensorflows_start_up_in_the_drivers_import_thread_reaches_the_log_not_the_console(tmp_path):
    """With the built-in model nothing imports TensorFlow before Ray starts, so the driver imports it
    in a thread while Ray starts (`tuning.cluster.connect`): its native start-up lines come from that
    thread, and still only into logs/driver.log."""
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump({**CONFIG, "variants": [{"kind": "baseline"}]}), encoding="utf-8")
    proc = _gg("launch", "--config", "exp.yaml", "--name", "builtin", "--gpus", "0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert foreign_lines(proc.stdout) == [] and proc.stderr == "", proc.stdout + proc.stderr
    log = (tmp_path / "runs" / "builtin" / "logs" / "driver.log").read_text(errors="replace")
    if not re.search(r"^[IWEF]\d{4} |absl::InitializeLog", log, re.MULTILINE):
        pytest.skip("TensorFlow printed nothing at start-up here: no native line to route")
