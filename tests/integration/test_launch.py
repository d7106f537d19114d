"""`launch` end to end on a real local Ray, on CPU: the pipeline a user runs, scaled down."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from orchestrator.config import build_config, load_config, parse_override
from orchestrator.data import array_hash, load_dataset
from orchestrator.pipeline.launch import launch
from orchestrator.models.outputs import predict_proba
from orchestrator.train import checkpoint

pytestmark = pytest.mark.ray
ROOT = Path(__file__).resolve().parents[2]


def small_config(runs: Path, **extra) -> dict:
    raw = {
        "name": "small",
        "seed": 3,
        "data": {"synthetic": {"n_samples": 300}},
        "training": {"epochs": 6},
        "hparams": {"patience": 2},
        "variants": [{"kind": "baseline"}, {"kind": "l2"}, {"kind": "early_stopping"}],
        "search": {"samples": 2},
        "scheduler": {"grace_period": 2, "reduction_factor": 2},
        "diagnosis": {"learning_curve": False},
        "output": {"runs_dir": str(runs)},
    }
    raw.update(extra)
    return raw


@pytest.fixture(scope="module")
def small_run(ray_local, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    # The learning curve: half and all of the training rows (the capacity ladder's retrains: the quickstart's test)
    config = build_config(small_config(runs, diagnosis={"curve_fractions": [0.5], "capacity_ladder": False}))
    result = launch(config, name="small")
    return config, result


def test_report_contract(small_run):
    config, result = small_run
    report = json.loads(result.report_path.read_text())
    assert report["schema_version"] == 2 and report["experiment"] == "small" and report["task"] == "binary"
    assert report["selection"] == {**report["selection"], "metric": "val_loss", "mode": "min"}
    assert (report["data"]["n_train"], report["data"]["n_val"], report["data"]["n_test"]) == (180, 60, 60)
    assert set(report["data"]["class_counts"]) == {"train", "val", "test"}
    trials = report["trials"]
    assert trials["total"] == 6 and trials["errored"] == 0
    assert trials["finished"] + trials["stopped_by_asha"] + trials["diverged"] == 6
    assert trials["finished"] == trials["completed"] + trials["early_stopped"]
    assert [v["variant"] for v in report["variants"]] == ["baseline", "l2", "early_stopping"]
    for v in report["variants"]:
        assert {"variant", "trial_id", "epochs", "hparams", "train", "val", "test"} <= set(v)
        for split in ("train", "val", "test"):
            assert {"accuracy", "precision", "recall", "f1", "loss"} <= set(v[split])
    best = report["best"]
    assert best["variant"] in {"baseline", "l2", "early_stopping"}
    assert (result.exp_dir / best["checkpoint"] / "model.keras").is_file()
    assert np.array(best["test"]["confusion_matrix"]).sum() == 60
    manifest = json.loads((result.exp_dir / "manifest.json").read_text())
    assert manifest["status"] == "finished"
    ran = config.model_copy(update={"model": config.model.model_copy(update={"family": "mlp"})})  # 'auto' resolved for a table
    assert load_config(result.exp_dir / "experiment.yaml") == ran
    # Each variant against the baseline on the same 60 test rows: the net row count is the accuracy difference.
    comparisons = report["comparisons"]
    assert comparisons["reference"] == "baseline" and set(comparisons["variants"]) == {"l2", "early_stopping"}
    accuracy = {v["variant"]: v["test"]["accuracy"] for v in report["variants"]}
    for name, paired in comparisons["variants"].items():
        assert paired["n"] == 60 and 0 <= paired["p_value"] <= 1
        assert paired["variant_only"] - paired["reference_only"] == round((accuracy[name] - accuracy["baseline"]) * 60)


def test_asha_really_stopped_a_trial(small_run):
    _, result = small_run
    report = json.loads(result.report_path.read_text())
    stopped = [t for t in report["all_trials"] if t["status"] == "stopped_by_asha"]
    assert report["trials"]["stopped_by_asha"] == len(stopped) >= 1
    assert all(t["epochs"] < 6 for t in stopped)


def test_the_test_split_never_reached_a_trial(small_run):
    _, result = small_run
    hashes = json.loads((result.exp_dir / "manifest.json").read_text())["data"]["hashes"]
    results = sorted((result.exp_dir / "tune").glob("*/result.json"))
    assert len(results) == 6
    for path in results:
        for line in path.read_text().splitlines():
            reported = json.loads(line)
            # What each trial trained and validated on is exactly the train and val splits...
            assert (reported["train_hash"], reported["val_hash"]) == (hashes["train"], hashes["val"])
            assert (reported["n_train"], reported["n_val"]) == (180, 60)
    # The learning curve's trials trained on their half and on all of the training rows (and validated on all of val)...
    from orchestrator.data.split import train_subset

    dataset = load_dataset(small_run[0].data, small_run[0].seed)
    curve = json.loads(result.report_path.read_text())["learning_curve"]
    assert [p["fraction"] for p in curve["points"]] == [0.5, 1.0] and [p["n_train"] for p in curve["points"]] == [90, 180]
    curve_results = sorted((result.exp_dir / "learning_curve").glob("*/result.json"))
    assert len(curve_results) == 2 and curve["failed"] == []
    for path in curve_results:
        for line in path.read_text().splitlines():
            reported = json.loads(line)
            fraction = reported["config"]["train_fraction"]
            rows = train_subset(dataset.train.y, fraction, reported["config"]["seed"])
            assert reported["train_hash"] == array_hash(dataset.train.x[rows], dataset.train.y[rows])
            assert (reported["val_hash"], reported["n_train"]) == (hashes["val"], round(180 * fraction))
    # ...each of them, the full split's too, a retrain of the winner's recipe with the curve's own seed...
    assert retrained_points(result.exp_dir, json.loads(result.report_path.read_text()), small_run[0].seed) == [0.5, 1.0]
    # ...and the only thing that travels to a trial has no field a test split could ride in.
    from orchestrator.train.spec import TrialData

    assert [f.name for f in dataclasses.fields(TrialData)] == ["x_train", "y_train", "x_val", "y_val"]


def retrained_points(exp_dir: Path, report: dict, seed: int) -> list[float]:
    """The curve's points that are retrains of the winner's recipe (its hyperparameters, the curve's
    seed, not the winner's) whose final validation accuracy is the point's in report.json."""
    return sorted(f for f, hidden in retrains(exp_dir, report, seed) if hidden == report["best"]["hparams"]["hidden"])


def retrains(exp_dir: Path, report: dict, seed: int) -> list[tuple[float, list[int]]]:
    """Every retrain of the second run, (fraction, hidden): the winner's hyperparameters but its size
    (a rung of the capacity ladder, on all rows) and the curve's seed, each validation accuracy the one
    report.json gives its point, and trained on its rows of the training split, validated on all of val."""
    from orchestrator.tuning.curve import curve_seed

    winner = report["best"]["hparams"]
    points = {(p["fraction"], json.dumps(winner["hidden"])): p for p in report["learning_curve"]["points"]}
    points.update({(1.0, json.dumps(p["hidden"])): p for p in (report.get("capacity_ladder") or {}).get("points", [])})
    found = []
    for path in sorted((exp_dir / "learning_curve").glob("*/result.json")):
        last = json.loads(path.read_text().splitlines()[-1])
        tried = last["config"]
        assert path.parent.name.startswith(tried["curve_point"] + "_")  # curve_50pct_…, ladder_16_…: the point's name
        assert tried["seed"] == curve_seed(seed) != winner["seed"]
        assert {k: tried[k] for k in winner if k not in ("seed", "hidden")} == {k: v for k, v in winner.items() if k not in ("seed", "hidden")}
        point = points[(tried["train_fraction"], json.dumps(tried["hidden"]))]
        assert point["val_accuracy"] == pytest.approx(last["val_accuracy"], abs=1e-6)
        assert last["val_hash"] == report["data"]["hashes"]["val"] and last["n_train"] == round(report["data"]["n_train"] * tried["train_fraction"])
        assert tried["train_fraction"] < 1 or last["train_hash"] == report["data"]["hashes"]["train"]  # all of train, and only train
        found.append((tried["train_fraction"], tried["hidden"]))
    return sorted(found)


def test_best_model_reloads_to_the_reported_test_accuracy(small_run):
    config, result = small_run
    report = json.loads(result.report_path.read_text())
    dataset = load_dataset(config.data, config.seed)
    exported = checkpoint.load_model(result.exp_dir / "best", compile=False)
    source = checkpoint.load_model(result.exp_dir / report["best"]["checkpoint"], compile=False)
    p_exported, p_source = predict_proba(exported, dataset.test.x), predict_proba(source, dataset.test.x)
    np.testing.assert_allclose(p_exported, p_source, atol=1e-6)
    accuracy = float((p_exported.argmax(1) == dataset.test.y).mean())
    assert accuracy == pytest.approx(report["best"]["test"]["accuracy"])


def test_name_taken_is_refused_before_ray_work(small_run):
    config, result = small_run
    from orchestrator.errors import ExperimentError

    before = (result.exp_dir / "report.json").read_bytes()
    with pytest.raises(ExperimentError, match="already exists"):
        launch(config, name="small")
    assert (result.exp_dir / "report.json").read_bytes() == before


def test_quickstart_acceptance(ray_local, tmp_path):
    """The README's first command, as CI runs it: ASHA stops something, and the unregularized
    baseline memorizes its training set with a wider train/test gap than the chosen variant."""
    config = load_config(ROOT / "configs" / "quickstart.yaml", [parse_override(f"output.runs_dir={tmp_path}")])
    result = launch(config, name="qs")
    report = result.report
    assert report["trials"]["total"] == 12 and report["trials"]["errored"] == 0
    assert report["trials"]["stopped_by_asha"] >= 1
    by_variant = {v["variant"]: v for v in report["variants"]}
    baseline, best = by_variant["baseline"], by_variant[report["best"]["variant"]]
    assert best["variant"] != "baseline"
    assert baseline["train"]["accuracy"] >= 0.97
    assert baseline["gap"]["accuracy_train_test"] > best["gap"]["accuracy_train_test"]
    verdicts = {v["variant"]: v["verdict"] for v in report["diagnosis"]["verdicts"]}
    assert verdicts["baseline"] == "overfit"
    assert "memorizes" in report["diagnosis"]["summary"][0] or "overfits" in report["diagnosis"]["summary"][0]
    assert report["export"]["verified"] is True
    # Would more data help? The winner's recipe retrained on 25/50/75/100% of the training rows. The data
    # has 2 informative features and 30% of its labels redrawn: half the rows already reach the ceiling
    # the noise sets, so the curve has levelled off, and the headline says more rows will not fix it.
    curve = report["diagnosis"]["learning_curve"]
    assert [p["fraction"] for p in curve["points"]] == [0.25, 0.5, 0.75, 1.0]
    assert retrained_points(result.exp_dir, report, config.seed) == [0.25, 0.5, 0.75, 1.0]
    assert curve["more_data_helps"] is False and "levelled off" in curve["reason"]
    assert curve["reason"] in report["diagnosis"]["summary"]
    # Does the winner need its size? Its recipe and hyperparameters retrained on all training rows at the
    # ladder's other rung too (validation only), and the capacity sentence concludes from those retrains.
    winner_size, rungs = report["best"]["hparams"]["hidden"], config.search.hidden_ladder
    other = [r for r in rungs if r != winner_size]
    assert [h for f, h in retrains(result.exp_dir, report, config.seed) if f == 1.0] == sorted([winner_size, *other])
    assert sorted(p["hidden"] for p in report["capacity_ladder"]["points"]) == sorted(rungs) and report["capacity_ladder"]["failed"] == []
    capacity = report["diagnosis"]["capacity"]
    assert capacity["from"] == "ladder" and "cannot tell" not in capacity["message"]
    assert any(w in capacity["message"] for w in ("prefer the smaller one", "uses that capacity", "more capacity helps", "search wider"))
    # The story it exists for: the winner's held-out advantage is more than McNemar calls chance, and
    # the headline names the label noise the data has (30% of labels redrawn).
    paired = report["comparisons"]["variants"][best["variant"]]
    assert paired["significant"] and paired["variant_only"] > paired["reference_only"]
    assert "label noise" in report["diagnosis"]["summary"][0]
    assert result.seconds < 420  # a guard against a hang, not a benchmark (BENCHMARKS.md times it)


def _gg(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestrator.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_more_gpus_than_the_machine_has_is_one_line_and_exit_2(tmp_path):
    proc = _gg("launch", "--config", str(ROOT / "configs" / "quickstart.yaml"), "--gpus", "4", "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--gpus 4 asked for, but this machine has 0 GPU(s)" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_dry_run_checks_and_plans_without_training_or_writing(tmp_path):
    proc = _gg("launch", "--config", str(ROOT / "configs" / "quickstart.yaml"), "--dry-run", "--runs-dir", str(tmp_path / "runs"),
               "--name", "planned", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout + proc.stderr
    assert "12 trials (6 variants × 2), " in out and "nothing trained, nothing written" in out
    assert not (tmp_path / "runs" / "planned").exists() and not list((tmp_path / "runs").glob("*"))


def test_a_tpe_search_gives_every_variant_its_trials_from_its_own_domain(ray_local, tmp_path):
    from collections import Counter

    raw = small_config(tmp_path, variants=[{"kind": "baseline"}, {"kind": "dropout"}], training={"epochs": 3},
                       search={"samples": 4, "algorithm": "tpe"}, scheduler={"type": "none"})
    result = launch(build_config(raw), name="tpe")
    trials = result.report["all_trials"]
    assert Counter(t["variant"] for t in trials) == {"baseline": 4, "dropout": 4}
    assert result.report["trials"]["errored"] == 0 and result.report["best"] is not None
    rates = [t["hparams"]["dropout"] for t in trials if t["variant"] == "dropout"]
    assert len(set(rates)) == 4 and all(0 < r < 1 for r in rates)  # drawn by the study, not fixed
    assert all(t["hparams"]["dropout"] == 0.0 for t in trials if t["variant"] == "baseline")


def test_trials_with_two_cpu_replicas_report_them(ray_local, tmp_path):
    raw = small_config(tmp_path, variants=[{"kind": "l2"}], search={"samples": 1},
                       resources={"cpu_replicas": 2}, scheduler={"type": "none"}, training={"epochs": 2})
    result = launch(build_config(raw), name="replicas")
    (variant,) = result.report["variants"]
    assert variant["replicas"] == 2 and variant["strategy"] == "MirroredStrategy"
    assert len(variant["devices"]) == 2 and all("CPU" in d for d in variant["devices"])
    assert variant["global_batch"] == 64  # 32 per replica × 2


def _tb_read(path):
    from tensorboard.backend.event_processing.event_accumulator import (
        TENSORS,
        EventAccumulator,
    )

    acc = EventAccumulator(str(path), size_guidance={TENSORS: 0})
    acc.Reload()
    return acc


def test_tensorboard_has_every_epoch_and_one_hparams_session_per_trial(small_run):
    from tensorboard.plugins.hparams import plugin_data_pb2

    _, result = small_run
    board = result.exp_dir / "tensorboard"
    trials = result.report["all_trials"]
    assert sorted(p.name for p in board.iterdir() if p.is_dir()) == sorted(f"{t['variant']}_{t['trial_id']}" for t in trials)
    for t in trials:
        run = board / f"{t['variant']}_{t['trial_id']}"
        for sub in ("train", "validation"):
            acc = _tb_read(run / sub)
            assert [e.step for e in acc.Tensors("loss")] == list(range(1, t["epochs"] + 1))
        root = _tb_read(run)
        sessions = root.Tensors("_hparams_/session_start_info")
        assert len(sessions) == 1
        info = plugin_data_pb2.HParamsPluginData.FromString(root.SummaryMetadata("_hparams_/session_start_info").plugin_data.content)
        assert info.session_start_info.hparams["variant"].string_value == t["variant"]
        assert [e.tensor_proto.float_val or e.tensor_proto.double_val for e in root.Tensors("stopped_by_asha")]
    assert not list((result.exp_dir / "tune").rglob("events.out.tfevents*")), "Tune's own tensorboardX logger must be off"


def test_gg_train_tensorboard_serves_runs_and_hparams_on_loopback_only(small_run):
    import socket
    import time
    import urllib.request

    from orchestrator.report.tensorboard import free_port

    _, result = small_run
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "orchestrator.cli", "tensorboard", result.exp_dir.name,
                             "--runs-dir", str(result.exp_dir.parent), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(60):
            try:
                runs = json.loads(urllib.request.urlopen(f"{base}/data/runs", timeout=2).read())
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError(f"TensorBoard never answered: {proc.stderr.read() if proc.poll() is not None else ''}")
        body = json.dumps({"experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
                           "colParams": [], "startIndex": 0, "sliceSize": 100}).encode()
        request = urllib.request.Request(f"{base}/data/plugin/hparams/session_groups", data=body, headers={"Content-Type": "application/json"})
        groups = json.loads(urllib.request.urlopen(request, timeout=10).read())
        trial_ids = {t["trial_id"] for t in result.report["all_trials"]}
        assert {g["name"] for g in groups["sessionGroups"]} == trial_ids
        assert {f"{t['variant']}_{t['trial_id']}" for t in result.report["all_trials"]} <= set(runs)
        # Loopback only: the same port on this machine's other addresses refuses.
        others = _non_loopback_addresses()
        if not others:
            pytest.skip("this machine has no non-loopback IPv4 address to probe")
        for address in others:
            with pytest.raises(OSError):
                socket.create_connection((address, port), timeout=2).close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _non_loopback_addresses() -> set[str]:
    """This machine's IPv4 addresses other than 127.x: the host name's, and the outbound interface's."""
    import socket

    found = {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP connect sends nothing; it only picks the interface
            found.add(probe.getsockname()[0])
        except OSError:
            pass
    return {a for a in found if not a.startswith("127.")}


def test_evaluate_on_new_data_matches_the_report_on_the_same_rows(small_run, tmp_path):
    config, result = small_run
    dataset = load_dataset(config.data, config.seed)
    npz = tmp_path / "again.npz"
    np.savez(npz, X=dataset.test.x, y=dataset.test.y)
    proc = _gg("evaluate", "small", "--data", str(npz), "--runs-dir", str(result.exp_dir.parent), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    saved = json.loads(Path(proc.stdout.strip().splitlines()[-1].removeprefix("saved: ")).read_text())
    assert saved["metrics"]["accuracy"] == pytest.approx(result.report["best"]["test"]["accuracy"])
    assert {c["name"]: c["status"] for c in saved["checks"]}["label_shift"] == "ok"
    # The threshold tuned on validation travels with the export: on the test rows it gives the report's test F1.
    tuned = result.report["best"]["threshold"]
    assert saved["at_threshold"]["value"] == tuned["value"]
    assert saved["at_threshold"]["f1"] == pytest.approx(tuned["tuned"]["test"]["f1"])


def test_a_broken_export_fails_the_launch_with_the_artifact_named(ray_local, tmp_path, monkeypatch):
    """Preprocessing left outside the model: the SavedModel is written from a copy whose scaling
    layer was reset, so on raw features it predicts something else, and the launch must say so."""
    from orchestrator.errors import ExportError
    from orchestrator.results import export

    def without_scaling(best):
        import tensorflow as tf

        from orchestrator.train import checkpoint

        model = checkpoint.load_model(best, compile=False)
        layer = model.get_layer("scaling")
        layer.mean, layer.variance = layer.mean * 0, layer.variance * 0 + 1  # "scaling done elsewhere"
        signature = [tf.TensorSpec((None, int(model.inputs[0].shape[-1])), tf.float32, name="features")]
        model.export(str(best / "saved_model"), format="tf_saved_model", verbose=False, input_signature=signature)
        return best / "saved_model"

    monkeypatch.setattr(export, "write_saved_model", without_scaling)
    raw = small_config(tmp_path, variants=[{"kind": "l2"}], search={"samples": 1}, scheduler={"type": "none"}, training={"epochs": 2})
    with pytest.raises(ExportError, match="saved_model differs") as info:
        launch(build_config(raw), name="broken")
    assert "model.keras" not in info.value.message.split("saved_model")[0]
    assert json.loads((tmp_path / "broken" / "manifest.json").read_text())["status"] == "failed"
    assert not (tmp_path / "broken" / "best").exists() and (tmp_path / "broken" / "best.unverified").is_dir()
    # The evaluation that finished before the export is not lost: report.json says what failed.
    report = json.loads((tmp_path / "broken" / "report.json").read_text())
    assert report["best"]["variant"] == "l2" and report["variants"] and report["diagnosis"]["summary"]
    assert report["export"]["verified"] is False and "saved_model differs" in report["export"]["error"]
    assert (tmp_path / "broken" / "report.html").is_file()


def test_imbalanced_data_is_handled_by_default_not_just_warned_about(ray_local, tmp_path):
    """5% positives: every variant also trains class-weighted, trials are judged by the minority
    class's PR-AUC, the threshold is tuned on validation and travels with the export, and the
    headline is about imbalance."""
    raw = small_config(tmp_path, data={"synthetic": {"n_samples": 600, "positive_share": 0.05, "label_noise": 0.02}},
                       variants=[{"kind": "baseline"}], search={"samples": 1}, scheduler={"type": "none"}, training={"epochs": 4})
    result = launch(build_config(raw), name="imbalanced")
    report = result.report
    imbalance = next(c for c in report["data"]["checks"] if c["name"] == "class_imbalance")
    assert imbalance["status"] == "warn" and imbalance["numbers"]["minority_share"] < 0.1
    tried = {json.loads(p.read_text())["class_weight"] for p in (result.exp_dir / "tune").glob("*/params.json")}
    assert tried == {"none", "balanced"}
    assert [v["variant"] for v in report["variants"]] == ["baseline", "baseline_balanced"]
    assert load_config(result.exp_dir / "experiment.yaml").variants[1].label == "baseline_balanced"  # a resume runs the same
    assert (report["selection"]["metric"], report["selection"]["mode"]) == ("val_pr_auc", "max")
    assert all("val_pr_auc" in json.loads(line) for p in (result.exp_dir / "tune").glob("*/result.json")
               for line in p.read_text().splitlines())
    threshold = report["best"]["threshold"]
    assert threshold["class"] == 1 and 0 < threshold["value"] < 1 and set(threshold["tuned"]) == {"val", "test"}
    assert json.loads((result.exp_dir / "best" / "metrics.json").read_text())["threshold"]["value"] == threshold["value"]
    assert report["diagnosis"]["summary"][0].startswith("The classes are imbalanced")
    assert all(v["judged_on"] == "balanced_accuracy" for v in report["diagnosis"]["verdicts"])
