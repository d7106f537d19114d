"""The `gg-train` command line: every bad input is one line on stderr, exit code 2, no traceback and no
experiment folder; flags reach the config; `--help` stays light (no TensorFlow, no Ray).

Runs without Ray: `orchestrator.tuning.cluster` is replaced by a stub whose `connect` fails loudly, so an
input that slips past the checks fails the test instead of starting a cluster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.errors import ClusterError

REPO = Path(__file__).resolve().parents[1]
GG_TRAIN = Path(sys.executable).parent / "gg-train"


class RayReached(AssertionError):
    pass


@pytest.fixture(autouse=True)
def no_ray(monkeypatch):
    """Stub `orchestrator.tuning.cluster`: reaching `connect` means every user-input check has passed."""
    import orchestrator.tuning

    stub = types.ModuleType("orchestrator.tuning.cluster")

    def connect(address):
        raise RayReached("the CLI got as far as starting Ray; the bad input was not caught")

    stub.connect = connect
    stub.connected = lambda address, meanwhile=None: stub.connect(address)  # `with cluster.connected(...)` reaches `connect`
    stub.auth_for_joining = lambda address: None  # an environment variable for Ray, not Ray itself
    monkeypatch.setitem(sys.modules, "orchestrator.tuning.cluster", stub)
    monkeypatch.setattr(orchestrator.tuning, "cluster", stub, raising=False)
    monkeypatch.delenv("GG_DEBUG", raising=False)
    return stub


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _good_rows(n: int = 40) -> list[str]:
    return [f"{i},{(i * 7) % 11 / 3:.3f},{i % 2}" for i in range(n)]


BAD_BUILDERS = {  # the file's text, and a word the one line must contain
    "builder_missing_file": (None, "not found"),
    "builder_import_error": ("import no_such_module_here\n", "ModuleNotFoundError"),
    "builder_missing_function": ("def make(spec):\n    pass\n", "build"),
    "builder_wrong_return": ("def build(spec):\n    return {'layers': 2}\n", "dict"),
    "builder_wrong_output": ("import keras\ndef build(spec):\n    i = keras.Input(spec.input_shape)\n"
                             "    return keras.Model(i, keras.layers.Dense(3, activation='softmax')(i))\n", "3"),
    "builder_raises": ("def build(spec):\n    return spec.params['depth']\n", "KeyError"),
}


def _builder_case(name: str, tmp: Path) -> tuple[list[str], str, str]:
    text, word = BAD_BUILDERS[name]
    if text is not None:
        (tmp / "models.py").write_text(text, encoding="utf-8")
    data = ["--data", str(_csv(tmp / "d.csv", "a,b,y", _good_rows())), "--label", "y"]
    return [*data, "--model", f"{tmp / 'models.py'}:build"], "model error", word


def _case(name: str, tmp: Path) -> tuple[list[str], str, str]:
    """(extra CLI args, expected error kind, a word the message must contain) for each bad input."""
    if name == "missing_config":
        return ["--config", str(tmp / "nope.yaml")], "config error", "not found"
    if name == "yaml_syntax":
        (tmp / "bad.yaml").write_text("training:\n  epochs: [3\nseed: 1\n", encoding="utf-8")
        return ["--config", str(tmp / "bad.yaml")], "config error", "not valid YAML"
    if name == "unknown_key":
        (tmp / "typo.yaml").write_text("trainng:\n  epochs: 3\n", encoding="utf-8")
        return ["--config", str(tmp / "typo.yaml")], "config error", "unknown key"
    if name == "dropout_out_of_range":
        return ["--set", "hparams.dropout=1.5"], "config error", "hparams.dropout"
    if name == "negative_epochs":
        return ["--epochs", "-3"], "config error", "training.epochs"
    if name == "missing_data":
        return ["--data", str(tmp / "absent.csv"), "--label", "y"], "data error", "not found"
    if name == "missing_test_data":
        data = ["--data", str(_csv(tmp / "d.csv", "a,b,y", _good_rows())), "--label", "y"]
        return [*data, "--test-data", str(tmp / "absent.csv")], "data error", "--test-data"
    if name == "label_absent":
        return ["--data", str(_csv(tmp / "d.csv", "a,b,y", _good_rows())), "--label", "target"], "data error", "'target'"
    if name.startswith("builder_"):
        return _builder_case(name, tmp)
    if name == "inf_feature":
        rows = _good_rows()
        rows[7] = "7,inf,1"
        return ["--data", str(_csv(tmp / "d.csv", "a,b,y", rows)), "--label", "y"], "data error", "infinite"
    if name == "single_class":
        rows = [f"{i},{i * 2},1" for i in range(40)]
        return ["--data", str(_csv(tmp / "d.csv", "a,b,y", rows)), "--label", "y"], "data error", "single class"
    if name == "too_few_rows":
        return ["--data", str(_csv(tmp / "d.csv", "a,b,y", _good_rows(6))), "--label", "y"], "data error", "rows"
    if name == "escape_dotdot":
        return ["--name", "../evil"], "experiment error", "../evil"
    if name == "escape_absolute":
        return ["--name", "/tmp/x"], "experiment error", "/tmp/x"
    if name == "unknown_suffix":
        return ["--data", "x.txt"], "data error", ".txt"
    raise KeyError(name)


BAD_INPUTS = ["missing_config", "yaml_syntax", "unknown_key", "dropout_out_of_range", "negative_epochs",
              "missing_data", "missing_test_data", "label_absent", "inf_feature", "single_class",
              "too_few_rows", "escape_dotdot", "escape_absolute", "unknown_suffix", *BAD_BUILDERS]


def _name(args: list[str]) -> list[str]:
    """A fixed experiment name, unless the case gives its own (a later --name would override it)."""
    return [] if "--name" in args else ["--name", "exp"]


def _invoke(args: list[str]):
    return CliRunner().invoke(app, ["launch", *args])


def _assert_one_line_error(exit_code: int, stdout: str, stderr: str, kind: str, word: str, what: str) -> None:
    assert "Traceback" not in stdout + stderr, f"{what}: a traceback reached the user:\n{stderr}"
    assert exit_code == 2, f"{what}: exit code {exit_code}, expected 2; stderr:\n{stderr}"
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"{what}: expected ONE line on stderr, got {len(lines)}:\n{stderr}"
    assert lines[0].startswith(f"{kind}: "), f"{what}: expected a '{kind}: ...' line, got {lines[0]!r}"
    assert word in lines[0], f"{what}: the line does not name the problem ({word!r}): {lines[0]!r}"
    assert lines[0].endswith(")") and " (" in lines[0], f"{what}: the line gives no fix in parentheses: {lines[0]!r}"
    assert stdout.strip() == "", f"{what}: unexpected stdout {stdout!r}"


def _entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_one_line_exit_2_and_no_folder(case, tmp_path):
    runs = tmp_path / "runs"
    args, kind, word = _case(case, tmp_path)
    result = _invoke([*args, "--runs-dir", str(runs), *_name(args)])
    assert not isinstance(result.exception, RayReached), f"{case}: not caught before Ray started"
    _assert_one_line_error(result.exit_code, result.stdout, result.stderr, kind, word, case)
    assert isinstance(result.exception, (SystemExit, type(None))), f"{case}: raised {result.exception!r}"
    assert _entries(runs) == set(), f"{case}: left {_entries(runs)} in the runs folder"


def test_name_with_trailing_newline_is_refused(tmp_path):
    # `_NAME.match` uses `$`, which also matches before a final "\n": "exp\n" would become a folder name.
    runs = tmp_path / "runs"
    result = _invoke(["--runs-dir", str(runs), "--name", "exp\n"])
    assert not isinstance(result.exception, RayReached), (
        "BUG experiments.experiment_dir: name 'exp\\n' passes the name check (regex `$` matches before a "
        "trailing newline); use _NAME.fullmatch or `\\Z`")
    _assert_one_line_error(result.exit_code, result.stdout, result.stderr, "experiment error", "not allowed", "name 'exp\\n'")
    assert _entries(runs) == set()


def test_existing_name_is_refused_and_left_untouched(tmp_path):
    runs = tmp_path / "runs"
    (runs / "exp").mkdir(parents=True)
    keep = runs / "exp" / "report.json"
    keep.write_text('{"precious": true}', encoding="utf-8")
    before = (keep.stat().st_mtime_ns, keep.read_bytes())
    result = _invoke(["--runs-dir", str(runs), "--name", "exp", "--epochs", "1"])
    _assert_one_line_error(result.exit_code, result.stdout, result.stderr, "experiment error", "already exists", "existing name")
    assert "--overwrite" in result.stderr, "the fix (--overwrite) is not named"
    assert _entries(runs) == {"exp"}, f"new entries in the runs folder: {_entries(runs)}"
    assert _entries(runs / "exp") == {"report.json"}
    assert (keep.stat().st_mtime_ns, keep.read_bytes()) == before, "the existing experiment was modified"


def test_overwrite_lets_the_existing_name_check_pass(tmp_path, no_ray):
    runs = tmp_path / "runs"
    (runs / "exp").mkdir(parents=True)
    keep = runs / "exp" / "report.json"
    keep.write_text("{}", encoding="utf-8")
    (runs / "exp" / "manifest.json").write_text('{"status": "finished"}', encoding="utf-8")
    # Past every input check the library reaches Ray; the stub stops it there, with a GGError of its own.
    no_ray.connect = lambda address: (_ for _ in ()).throw(ClusterError("stub reached", "nothing trains"))
    result = _invoke(["--runs-dir", str(runs), "--name", "exp", "--overwrite"])
    assert "already exists" not in result.stderr, f"--overwrite did not lift the check: {result.stderr}"
    assert result.exit_code == 2 and result.stderr.strip() == "cluster error: stub reached (nothing trains)", result.stderr
    assert keep.read_text(encoding="utf-8") == "{}", "the old experiment was touched before the run could start"
    assert _entries(runs) == {"exp"}


def test_overwrite_never_deletes_a_folder_that_is_not_an_experiment(tmp_path, no_ray):
    runs = tmp_path / "runs"
    (runs / "src").mkdir(parents=True)
    (runs / "src" / "precious.py").write_text("x = 1\n", encoding="utf-8")
    result = _invoke(["--runs-dir", str(runs), "--name", "src", "--overwrite"])
    assert result.exit_code == 2 and "is not a gg-train experiment" in result.stderr
    assert (runs / "src" / "precious.py").read_text(encoding="utf-8") == "x = 1\n"


# ---- flag wiring -------------------------------------------------------------------------------


@pytest.fixture
def fake_launch(monkeypatch, tmp_path):
    import orchestrator.pipeline.launch as launch_mod

    calls = []

    def fake(config, *, name, overwrite=False, console=None, dry_run=False):
        calls.append({"config": config, "name": name, "overwrite": overwrite, "console": console, "dry_run": dry_run})
        if dry_run:
            return None
        exp_dir = tmp_path / "fake-exp"
        best = {"variant": "l2", "trial_id": "t0001", "model": "best/model.keras", "test": {"accuracy": 0.875}}
        report = {"experiment": name, "selection": {"metric": "val_loss"}, "variants": [], "best": best}
        return launch_mod.LaunchResult(exp_dir, report, 1.0)

    monkeypatch.setattr(launch_mod, "launch", fake)
    return calls


def test_flags_reach_the_config_and_the_library(fake_launch, tmp_path):
    runs = tmp_path / "D"
    result = _invoke(["--epochs", "7", "--samples", "3", "--seed", "5", "--gpus", "0", "--cpus-per-trial", "0.5",
                      "--gpus-per-trial", "2", "--set", "scheduler.grace_period=2", "--data", "f.csv", "--label", "y",
                      "--runs-dir", str(runs), "--name", "N"])
    assert result.exit_code == 0, result.output
    assert len(fake_launch) == 1
    call = fake_launch[0]
    cfg = call["config"]
    assert (call["name"], call["overwrite"]) == ("N", False)
    assert cfg.training.epochs == 7 and cfg.search.samples == 3 and cfg.seed == 5
    assert cfg.resources.gpus == 0 and cfg.resources.cpus_per_trial == 0.5 and cfg.resources.gpus_per_trial == 2
    assert cfg.scheduler.grace_period == 2
    assert (cfg.data.source, cfg.data.path, cfg.data.label) == ("csv", Path("f.csv").resolve(), "y")  # absolute: resume works from anywhere
    assert cfg.output.runs_dir == runs
    assert "best: l2 (t0001), test accuracy 0.875" in result.stdout
    assert not runs.exists(), "the CLI itself created the runs folder"


def test_overwrite_config_file_and_default_name_reach_the_library(fake_launch, tmp_path):
    (tmp_path / "c.yaml").write_text("name: mine\ntraining: {epochs: 4}\n", encoding="utf-8")
    result = _invoke(["-c", str(tmp_path / "c.yaml"), "--overwrite", "--data", "d.NPZ", "--set", "training.epochs=9"])
    assert result.exit_code == 0, result.output
    call = fake_launch[0]
    assert call["overwrite"] is True
    assert call["name"].startswith("mine-"), call["name"]
    assert call["config"].training.epochs == 9, "--set must override the YAML file"
    assert call["config"].data.source == "npz"


def test_dry_run_reaches_the_library_and_prints_no_results_table(fake_launch):
    result = _invoke(["--dry-run", "--name", "plan"])
    assert result.exit_code == 0, result.output
    assert fake_launch[0]["dry_run"] is True and "best:" not in result.output


def test_no_usable_model_is_exit_1(fake_launch, monkeypatch):
    import orchestrator.pipeline.launch as launch_mod

    real_fake = launch_mod.launch

    def no_best(config, **kw):
        result = real_fake(config, **kw)
        result.report["best"] = None
        return result

    monkeypatch.setattr(launch_mod, "launch", no_best)
    result = _invoke(["--name", "N"])
    assert result.exit_code == 1
    assert "no trial produced a usable model" in result.stderr


# ---- real processes ----------------------------------------------------------------------------


def _run(cmd: list[str], cwd: Path, **env) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "GG_DEBUG"} | env
    return subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=60)


# builder_wrong_return and builder_wrong_output start TensorFlow before they are refused: its
# native start-up lines must not reach the console (they go nowhere: no experiment folder exists).
@pytest.mark.parametrize("case", ["missing_config", "escape_dotdot", "builder_import_error", "unknown_suffix",
                                  "builder_wrong_return", "builder_wrong_output"])
def test_subprocess_shows_one_line_and_no_traceback(case, tmp_path):
    runs = tmp_path / "runs"
    args, kind, word = _case(case, tmp_path)
    cmd = [str(GG_TRAIN)] if case in ("escape_dotdot", "builder_import_error") and GG_TRAIN.exists() else [sys.executable, "-m", "orchestrator.cli"]
    proc = _run([*cmd, "launch", *args, "--runs-dir", str(runs), *_name(args)], tmp_path)
    _assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, kind, word, f"subprocess {case}")
    assert _entries(runs) == set() and _entries(tmp_path).isdisjoint({"runs", "evil"})


def test_gg_debug_shows_the_traceback(tmp_path):
    proc = _run([sys.executable, "-m", "orchestrator.cli", "launch", "--config", str(tmp_path / "nope.yaml")],
                tmp_path, GG_DEBUG="1")
    assert proc.returncode not in (0, 2), proc.returncode
    assert "Traceback (most recent call last)" in proc.stderr, proc.stderr
    assert "ConfigError" in proc.stderr and "not found" in proc.stderr


def test_help_exits_0_without_tensorflow_or_ray(tmp_path):
    for args in (["--help"], ["launch", "--help"]):
        proc = _run([sys.executable, "-m", "orchestrator.cli", *args], tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "Usage" in proc.stdout and "Traceback" not in proc.stderr
    assert "--overwrite" in _run([sys.executable, "-m", "orchestrator.cli", "launch", "--help"], tmp_path).stdout
    probe = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from orchestrator.cli import app\n"
        "codes = [CliRunner().invoke(app, a).exit_code for a in (['--help'], ['launch', '--help'])]\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'ray'))\n"
        "print(json.dumps({'codes': codes, 'heavy': heavy[:10]}))\n"
    )
    proc = _run([sys.executable, "-c", probe], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["codes"] == [0, 0]
    assert out["heavy"] == [], f"--help imported heavy modules: {out['heavy']}"


@pytest.mark.parametrize("args, expected", [
    (["launch", "--epochs", "abc"], "usage error: Invalid value for '--epochs'"),
    (["launch", "--bogus"], "usage error: No such option: --bogus"),
])
def test_typer_flag_errors_are_one_line_too(args, expected):
    proc = subprocess.run([sys.executable, "-m", "orchestrator.cli", *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), proc.stderr


@pytest.mark.parametrize("host, warned", [(None, False), ("127.0.0.1", False), ("localhost", False), ("::1", False),
                                          ("0.0.0.0", True), ("192.0.2.7", True), ("myhost.example", True)])
def test_tensorboard_host_reaches_tensorboard_and_a_non_loopback_one_warns(host, warned, tmp_path, monkeypatch):
    """`--host` (default 127.0.0.1) is what TensorBoard binds; any other host gets one warning line on
    stderr before serving. TensorBoard itself is not started (its launcher is replaced)."""
    import orchestrator.cli as cli
    import orchestrator.report.tensorboard as board
    import orchestrator.train.distribute as distribute

    (tmp_path / "exp1" / "tensorboard").mkdir(parents=True)
    (tmp_path / "exp1" / "manifest.json").write_text("{}", encoding="utf-8")
    launched = []
    monkeypatch.setattr(distribute, "prepare_driver", lambda: None)
    monkeypatch.setattr(board, "_launch", lambda argv: launched.append(argv) or "http://where:6006/")

    def interrupt(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "time", types.SimpleNamespace(sleep=interrupt))
    args = ["tensorboard", "exp1", "--runs-dir", str(tmp_path), "--port", "6006", *(["--host", host] if host else [])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (argv,) = launched
    assert argv[argv.index("--host") + 1] == (host or "127.0.0.1") and argv[argv.index("--port") + 1] == "6006"
    where = f"[{host}]:6006" if host and ":" in host else f"{host}:6006"
    expected = [f"warning: TensorBoard has no authentication; anyone who can reach {where} can read these logs"] if warned else []
    assert result.stderr.strip().splitlines() == expected
    assert "TensorBoard for exp1: http://where:6006/" in result.stdout
