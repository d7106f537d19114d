"""`--mlflow URI` before anything trains: a URI gg-train cannot track to, a server that does not
answer or a store it cannot write is one line and exit 2, with no experiment folder; mlflow is
imported only when a URI is given. No Ray here (the launches: tests/integration/test_mlflow.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from orchestrator.pipeline import launch as launch_mod
from orchestrator.cli import app
from orchestrator.errors import ConfigError
from orchestrator.report import tracking
from orchestrator.report.tensorboard import free_port


@pytest.mark.parametrize("uri, word", [
    ("ftp://example.org/mlruns", "has no scheme"),
    ("mlruns", "has no scheme"),
    ("file://relative/mlruns", "not an absolute path"),
    ("sqlite:///relative.db", "not an absolute path"),
    ("file://{tmp}/a_file/mlruns", "cannot be written"),
    ("sqlite:///{tmp}/a_file/m.db", "cannot be written"),
])
def test_a_uri_gg_train_cannot_track_to_is_a_config_error(uri, word, tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(ConfigError, match=word) as err:
        tracking.check_store(uri.format(tmp=tmp_path))
    assert "--mlflow" in err.value.one_line()


def test_a_server_that_does_not_answer_is_named_with_the_fix():
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(ConfigError) as err:
        tracking.check_store(uri)
    line = err.value.one_line()
    assert f"the MLflow tracking server at {uri} does not answer at {uri}/health" in line and "mlflow server" in line


def test_a_file_store_is_allowed_by_the_uri_that_asks_for_it(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    tracking.check_store((tmp_path / "mlruns").as_uri())
    assert tracking.os.environ["MLFLOW_ALLOW_FILE_STORE"] == "true"  # MLflow refuses a file store without it


def test_without_mlflow_installed_the_line_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # `import mlflow` raises ImportError
    with pytest.raises(ConfigError) as err:
        tracking.check_store("http://127.0.0.1:5000")
    assert err.value.one_line() == ("config error: --mlflow needs the mlflow package, which is not installed "
                                    "(pip install 'gg-train[mlflow]')")


def test_no_uri_checks_nothing_and_imports_nothing():
    probe = ("import sys\nfrom orchestrator.report import tracking\nimport orchestrator.pipeline.launch, orchestrator.tuning.run\n"
             "tracking.check_store(None)\nprint('mlflow' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-1] == "False", "mlflow was imported without --mlflow: the default install has none"


def test_test_metrics_are_the_scalars_of_the_held_out_evaluation():
    best = {"test": {"accuracy": 0.75, "loss": 0.5, "n": 60, "confusion_matrix": [[1, 2], [3, 4]], "per_class": {"a": 1.0}}}
    assert tracking.test_metrics(best) == {"test_accuracy": 0.75, "test_loss": 0.5, "test_n": 60.0}


@pytest.mark.parametrize("uri, word", [("gopher://x", "has no scheme"), ("http://127.0.0.1:{port}", "does not answer")])
def test_the_cli_refuses_a_bad_uri_in_one_line_before_anything(uri, word, tmp_path, monkeypatch):
    def trains(*args, **kwargs):
        raise AssertionError("the launch went on past the MLflow check")

    monkeypatch.setattr(launch_mod, "_launch_claimed", trains)
    runs = tmp_path / "runs"
    result = CliRunner().invoke(app, ["launch", "--mlflow", uri.format(port=free_port()), "--runs-dir", str(runs), "--name", "exp"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("config error: ") and word in lines[0], result.stderr
    assert "Traceback" not in result.output and not runs.exists()


def test_the_flag_is_the_config_key(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr(launch_mod, "launch", lambda config, **kw: seen.setdefault("uri", config.output.mlflow))
    CliRunner().invoke(app, ["launch", "--mlflow", "sqlite:////tmp/m.db", "--runs-dir", str(tmp_path)])
    assert seen == {"uri": "sqlite:////tmp/m.db"}
