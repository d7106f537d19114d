"""A cluster of several nodes on one machine (cluster/local_cluster.sh: a head and two worker
nodes, one CPU each, separate raylets, token authentication on) and a real S3-compatible server
(moto, 127.0.0.1) as its shared storage: a launch that joins it spreads its trials over the nodes,
records each trial's node, keeps checkpoints and TensorBoard logs in the bucket and evaluates and
exports from there; an interrupted one resumes from the bucket; a launch without shared storage,
and a request no single node can hold, are refused before anything trains."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.names import trial_name
from orchestrator.report.tensorboard import free_port

pytestmark = [pytest.mark.ray, pytest.mark.multinode, pytest.mark.long]  # `pytest -m long`; not in the default suite
ROOT = Path(__file__).resolve().parents[2]
BUCKET = "gg-shared"
STORAGE = f"s3://{BUCKET}/experiments"


def _script(*args: str, env: dict) -> str:
    out = subprocess.run(["bash", str(ROOT / "cluster" / "local_cluster.sh"), *args], env=env, capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.fixture(scope="module")
def cluster(s3_server):
    """Head + 2 workers, 1 CPU each; each node also declares 1 GPU to Ray's scheduler (none exists:
    the launches below use --gpus 0, or are refused before a trial would ask for one). Every node,
    like the driver, has credentials for the S3 server (as nodes of a real cluster have theirs)."""
    import boto3

    port = free_port()
    env = {**os.environ, **s3_server, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "CPUS_PER_NODE": "1",
           "GPUS_PER_NODE": "1", "GG_CLUSTER_TMP": f"/tmp/ggr{port}"}  # short: Ray's socket paths must fit 107 bytes
    boto3.client("s3", endpoint_url=s3_server["AWS_ENDPOINT_URL"], region_name="us-east-1",
                 aws_access_key_id="testing", aws_secret_access_key="testing").create_bucket(Bucket=BUCKET)
    assert "1 head + 2 worker node(s)" in _script("start", "2", str(port), env=env)
    yield f"127.0.0.1:{port}", env
    _script("stop", str(port), env=env)
    assert subprocess.run(["pgrep", "-f", env["GG_CLUSTER_TMP"]], capture_output=True).returncode == 1, "cluster processes left"


def _launch(address: str, env: dict, runs: Path, *extra: str, name: str = "spread") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "launch", "--config", str(ROOT / "configs" / "quickstart.yaml"),
         "--address", address, "--runs-dir", str(runs), "--name", name, "--samples", "1", "--epochs", "3",
         "--set", "diagnosis.learning_curve=false", "--set", "scheduler.type=none", *extra],
        capture_output=True, text=True, timeout=600, env=env)


def _s3_keys(env: dict, prefix: str) -> list[str]:
    import pyarrow.fs as pafs

    fs = pafs.S3FileSystem(endpoint_override=env["AWS_ENDPOINT_URL"], access_key="testing", secret_key="testing",
                           region="us-east-1")
    return [f.path for f in fs.get_file_info(pafs.FileSelector(f"{BUCKET}/{prefix}", recursive=True, allow_not_found=True))]


def test_trials_spread_over_the_nodes_and_keep_everything_in_s3(cluster, tmp_path):
    address, env = cluster
    proc = _launch(address, env, tmp_path, "--gpus", "0", "--storage", STORAGE, "--set",
                   "variants=[{kind: baseline}, {kind: l2}, {kind: dropout}, {kind: early_stopping}]")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "3 at a time" in proc.stdout  # one per node: each has one CPU
    exp_dir = tmp_path / "spread"
    report = json.loads((exp_dir / "report.json").read_text())
    nodes = {t["node"]["id"] for t in report["all_trials"]}
    assert len(report["all_trials"]) == 4 and None not in nodes and len(nodes) >= 2, report["all_trials"]
    assert report["export"]["verified"] is True and (exp_dir / "best" / "model.keras").is_file()
    keys = _s3_keys(env, "experiments/spread/tune")
    names = {trial_name(t["variant"], t["trial_id"]) for t in report["all_trials"]}
    for trial in names:  # every trial's checkpoints and TensorBoard run are in the bucket...
        assert any(k.startswith(f"{BUCKET}/experiments/spread/tune/{trial}/checkpoint_") for k in keys), trial
        assert any(f"/{trial}/tensorboard/{trial}/validation/events.out.tfevents" in k for k in keys), trial
    assert {p.name for p in (exp_dir / "tensorboard").iterdir() if p.is_dir()} == names  # ...and came back for TensorBoard
    assert all(list((exp_dir / "tensorboard" / n / "validation").glob("events.out.tfevents*")) for n in names)
    assert not [p for p in (exp_dir / "tune").iterdir() if p.is_dir()], "trial folders on the driver's disk"


def test_without_shared_storage_a_launch_on_several_nodes_is_refused_before_training(cluster, tmp_path):
    address, env = cluster
    proc = _launch(address, env, tmp_path, "--gpus", "0")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert ("cluster error: this cluster has 3 nodes and the experiment has no shared storage, so trials on other nodes "
            "would save checkpoints where gg-train cannot read them (pass --storage s3://BUCKET/PATH") in proc.stderr
    assert not (tmp_path / "spread").exists()


def test_an_interrupted_experiment_resumes_from_s3_without_training_finished_trials_again(cluster, tmp_path):
    """Ctrl-C once some trial has finished: the bucket keeps Tune's state and the checkpoints; the
    driver's folder keeps the seals. Before the interrupt, TensorBoard's folder on the driver already
    holds a trial still training, and `show` counts the started trials, though their folders are in
    the bucket. `gg-train resume` brings it to the end and a finished trial keeps its result (its
    process id is the first run's)."""
    import signal
    import time

    address, env = cluster
    cmd = [sys.executable, "-m", "orchestrator.cli", "launch", "--config", str(ROOT / "configs" / "quickstart.yaml"),
           "--address", address, "--runs-dir", str(tmp_path), "--name", "halfway", "--samples", "1", "--epochs", "400",
           "--gpus", "0", "--storage", STORAGE, "--set", "diagnosis.learning_curve=false", "--set", "scheduler.type=none",
           "--set", "output.checkpoint_every=10",
           "--set", "variants=[{kind: early_stopping, params: {patience: 2}}, {kind: baseline}, {kind: l2}]"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    seen, finished = [], None
    for line in proc.stdout:  # the progress lines: wait for the first finished trial
        seen.append(line)
        if found := re.search(r"\] (\S+): (?:early stopped|completed) after (\d+) epochs", line):
            finished = found.groups()
            break
    assert finished is not None, "".join(seen)[-2000:]
    # TensorBoard on the driver follows the trials still training on other nodes (pulled after their checkpoints).
    board, deadline, live = tmp_path / "halfway" / "tensorboard", time.time() + 60, []
    while not live and time.time() < deadline:
        time.sleep(1)
        live = [run.name for run in board.glob("*") if run.name != finished[0] and list(run.glob("**/events.out.tfevents.*"))]
    assert live, f"no running trial's TensorBoard run came back from the bucket: {sorted(p.name for p in board.glob('*'))}"
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=300)
    assert proc.returncode == 130, "".join(seen)[-1500:] + rest[-1500:]
    first = {k.split("/")[4] for k in _s3_keys(env, "experiments/halfway/tune") if "/checkpoint_" in k}
    assert first, "no checkpoint reached the bucket before the interrupt"
    shown = subprocess.run([sys.executable, "-m", "orchestrator.cli", "show", "halfway", "--runs-dir", str(tmp_path)],
                           capture_output=True, text=True, timeout=60, env=env)
    assert "(3 started/3 trials)" in shown.stdout, shown.stdout  # counted from Tune's state: the trial folders are in the bucket
    done = subprocess.run([sys.executable, "-m", "orchestrator.cli", "resume", "halfway", "--runs-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "halfway" / "report.json").read_text())
    assert report["trials"]["total"] == 3 and report["trials"]["errored"] == 0, report["trials"]
    assert report["export"]["verified"] is True
    assert f"] {finished[0]}:" not in done.stdout + done.stderr, "a finished trial trained again after the resume"
    kept = next(t for t in report["all_trials"] if trial_name(t["variant"], t["trial_id"]) == finished[0])
    assert kept["epochs"] == int(finished[1])


def test_a_trial_bigger_than_every_node_is_refused_with_each_nodes_numbers(cluster, tmp_path):
    address, env = cluster
    proc = _launch(address, env, tmp_path, "--gpus", "2", "--gpus-per-trial", "2")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (f"--gpus-per-trial 2 asked for, but no single node of the cluster at {address} has 2 GPUs "
            "(its 3 nodes have 1, 1, 1); a trial runs on one node") in proc.stderr
    assert not (tmp_path / "spread").exists()


def test_a_dry_run_plans_four_packed_trials_per_gpu_on_every_node(cluster, tmp_path):
    """Each node declares one GPU to Ray (a fake resource: no GPU here); a quarter GPU and a quarter
    CPU per trial fit four trials on each of the three nodes. --dry-run checks and plans, trains nothing."""
    address, env = cluster
    proc = _launch(address, env, tmp_path, "--gpus", "3", "--gpus-per-trial", "0.25", "--cpus-per-trial", "0.25", "--dry-run",
                   "--storage", STORAGE)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "12 at a time, 0.25 CPU + 0.25 GPU each" in out and "dry run" in out and "nothing trained" in out
    assert [p.name for p in tmp_path.iterdir()] == [], "a dry run wrote in the runs folder"


ALIVE = """
import sys, ray
ray.init(address=sys.argv[1], logging_level="ERROR")
print(sum(n["Alive"] for n in ray.nodes()))
"""


def _alive(address: str, env: dict) -> int:
    out = subprocess.run([sys.executable, "-c", ALIVE, address], env={**env, "RAY_AUTH_MODE": "token"},
                         capture_output=True, text=True, timeout=120)
    return int(out.stdout.strip() or 0)


def test_a_node_that_cannot_see_the_shared_folder_is_refused_before_training(cluster, tmp_path):
    """Shared storage as a folder (NFS, a shared disk); a fourth node in its own mount namespace
    with an empty tmpfs over it: to it the folder is not the driver's (as on a node with its own
    local disk), so the launch stops at once."""
    from tests.integration.test_recovery import _wait_for

    address, env = cluster
    runs = tmp_path / "runs"
    runs.mkdir()
    blind = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "bash", "-c",
         f"mount -t tmpfs none {runs} && exec ray start --address={address} --node-ip-address=127.0.0.1 --num-cpus=1 --disable-usage-stats"],
        env={**env, "RAY_AUTH_MODE": "token"}, capture_output=True, text=True, timeout=120)
    if blind.returncode != 0 and ("mount" in blind.stderr or "unshare" in blind.stderr):
        pytest.skip(f"cannot make a private mount namespace here: {blind.stderr.strip()[-300:]}")
    assert blind.returncode == 0, blind.stderr[-2000:]
    assert _wait_for(lambda: _alive(address, env) == 4, timeout=60)
    proc = _launch(address, env, tmp_path / "local", "--gpus", "0", "--storage", str(runs))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert re.search(rf"the storage {re.escape(str(runs))} is not visible from 1 of the cluster's 4 nodes: \S+ \([0-9a-f]{{8}}\);", proc.stderr)
    assert "mount the folder on every node at the same path" in proc.stderr
    assert list(runs.iterdir()) == [], "the check left something in the shared folder"
    assert not (tmp_path / "local").exists()


HEAD_ID = """
import sys, ray
ray.init(address=sys.argv[1], logging_level="ERROR")
print(next(n["NodeID"] for n in ray.nodes() if "node:__internal_head__" in n["Resources"]))
"""


def _raylet_pid(node_id: str) -> int:
    import psutil

    return next(p.pid for p in psutil.process_iter(["cmdline"]) if f"--node_id={node_id}" in " ".join(p.info["cmdline"] or []))


def _running_on_a_worker_node(tune_dir: Path, head: str) -> str | None:
    """The node id of a worker node (not the head) that a still-running trial reported from."""
    for result in tune_dir.glob("*/result.json"):
        lines = result.read_text().splitlines()
        last = json.loads(lines[-1]) if lines else {}
        if last.get("node_id") not in (None, head) and not last.get("final"):
            return last["node_id"]
    return None


def test_a_worker_node_killed_mid_run_loses_no_trial(tmp_path):
    """SIGKILL one worker node's raylet while a trial trains there: Ray marks the node dead, Tune
    retries its trials from their checkpoints on the nodes left, and every trial completes. Shared
    storage here is a folder every node sees (one machine), as NFS would be."""
    from tests.integration.test_recovery import _wait_for

    port = free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "CPUS_PER_NODE": "1",
           "GG_CLUSTER_TMP": f"/tmp/ggr{port}"}
    _script("start", "2", str(port), env=env)
    try:
        head = subprocess.run([sys.executable, "-c", HEAD_ID, f"127.0.0.1:{port}"], env={**env, "RAY_AUTH_MODE": "token"},
                              capture_output=True, text=True, timeout=120, check=True).stdout.strip()
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchestrator.cli", "launch", "--config", str(ROOT / "configs" / "quickstart.yaml"),
             "--address", f"127.0.0.1:{port}", "--runs-dir", str(tmp_path), "--name", "nodelost", "--samples", "1",
             "--epochs", "150", "--gpus", "0", "--storage", str(tmp_path / "shared"), "--set", "diagnosis.learning_curve=false", "--set", "scheduler.type=none",
             "--set", "output.checkpoint_every=5", "--set", "variants=[{kind: baseline}, {kind: l2}, {kind: dropout}, {kind: early_stopping}]"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        exp_dir, tune_dir = tmp_path / "nodelost", tmp_path / "shared" / "nodelost" / "tune"
        assert _wait_for(lambda: _running_on_a_worker_node(tune_dir, head) or proc.poll() is not None, timeout=240)
        victim = _running_on_a_worker_node(tune_dir, head)
        assert victim is not None, proc.communicate()[1][-2000:]
        os.kill(_raylet_pid(victim), 9)
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        report = json.loads((exp_dir / "report.json").read_text())
        assert report["trials"]["total"] == 4 and report["trials"]["errored"] == 0, report["trials"]
        assert all(t["status"] in ("completed", "early_stopped") for t in report["all_trials"]), report["all_trials"]
        assert victim not in {t["node"]["id"] for t in report["all_trials"]}, "a trial's last report came from the dead node"
    finally:
        _script("stop", str(port), env=env)


CLUSTER_STATE = """
import json, sys, ray
ray.init(address=sys.argv[1], logging_level="ERROR")
held = [g for g, v in ray.util.placement_group_table().items() if v["state"] != "REMOVED"]
actors = [a["ActorClassName"] for a in ray._private.state.actors().values() if a["State"] == "ALIVE"]
print(json.dumps({"groups": held, "actors": actors}))
"""


def _cluster_state(address: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CLUSTER_STATE, address], env={**env, "RAY_AUTH_MODE": "token"},
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_trials_on_two_workers_span_two_nodes_and_asha_leaves_nothing_behind(cluster, tmp_path):
    """--workers-per-trial 2: each trial trains under MultiWorkerMirroredStrategy on two Ray Train
    workers, one per node; ASHA stops a trailing one and no placement group or Train actor of any
    trial is left on the cluster afterwards. ASHA runs within a variant, so the four trials are
    samples of one; seed 8 draws their rates 1e-2, 1e-2, 1e-6, 1e-2, so the third trial, which
    cannot learn, meets two that do at the first rung, one or two at a time alike (rates drawn from
    a range made the outcome depend on whether they happened to arrive in improving order)."""
    address, env = cluster
    proc = _launch(address, env, tmp_path, "--workers-per-trial", "2", "--storage", STORAGE, "--gpus", "0", "--epochs", "6",
                   "--samples", "4", "--set", "seed=8", "--set", "scheduler.type=asha", "--set", "scheduler.grace_period=1",
                   "--set", "scheduler.reduction_factor=2",
                   "--set", "variants=[{kind: baseline, params: {learning_rate: {choice: [0.01, 0.000001]}}}]", name="asha2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    nodes = _alive(address, env)  # 3, or 4 after the blind-node test added one
    assert f"{nodes // 2} at a time, 2 workers of 1 CPU + 0 GPU each" in proc.stdout  # one-CPU nodes: worker slots // 2
    report = json.loads((tmp_path / "asha2" / "report.json").read_text())
    trials = sorted(report["all_trials"], key=lambda t: t["trial_id"])  # in the order Tune made them
    assert [t["hparams"]["learning_rate"] for t in trials] == [0.01, 0.01, 1e-6, 0.01], trials  # the draw this relies on
    assert trials[2]["status"] == "stopped_by_asha" and trials[2]["epochs"] == 1, trials
    for trial in report["all_trials"]:
        assert trial["workers"]["replicas"] == 2 and trial["workers"]["strategy"] == "CollectiveAllReduceStrategy", trial
        assert len(set(trial["workers"]["nodes"])) == 2, trial  # one worker per node
    state = _cluster_state(address, env)
    assert state["groups"] == [], f"placement groups left: {state}"
    assert not [a for a in state["actors"] if "Train" in a or "PlacementGroupCleaner" in a], state["actors"]


def test_two_workers_end_where_one_worker_ends_at_the_same_global_batch(cluster, tmp_path):
    """The deterministic baseline, 4 epochs at a global batch of 32: two workers (16 rows each per
    step, gradients all-reduced) and one worker reach the same validation loss, float32 rounding aside."""
    address, env = cluster
    common = ["--storage", STORAGE, "--gpus", "0", "--epochs", "4", "--set", "training.batch_scope=global",
              "--set", "scheduler.type=none", "--set", "variants=[{kind: baseline}]"]
    runs = {}
    for workers in ("2", "1"):
        proc = _launch(address, env, tmp_path, "--workers-per-trial", workers, *common, name=f"w{workers}")
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs[workers] = json.loads((tmp_path / f"w{workers}" / "report.json").read_text())["all_trials"][0]
    assert runs["2"]["workers"]["replicas"] == 2 and runs["1"]["workers"]["replicas"] == 1
    assert runs["2"]["epochs"] == runs["1"]["epochs"] == 4
    assert abs(runs["2"]["val_loss"] - runs["1"]["val_loss"]) < 1e-4, (runs["2"]["val_loss"], runs["1"]["val_loss"])


def test_a_multi_worker_trial_whose_worker_dies_resumes_from_its_checkpoint(cluster, tmp_path):
    """SIGKILL rank 0's Train worker mid-run, then the trial's own actor: each time the Train run
    fails, Tune retries the trial (its placement group freed first), and the new Train run of the
    same name resumes from its last checkpoint (the rows after a kill start past epoch 5, from a new
    worker process) and the trial trains to its last epoch."""
    from tests.integration.test_recovery import _wait_for

    address, env = cluster
    shared = tmp_path / "shared"
    cmd = [sys.executable, "-m", "orchestrator.cli", "launch", "--config", str(ROOT / "configs" / "quickstart.yaml"),
           "--address", address, "--runs-dir", str(tmp_path), "--name", "mwkill", "--samples", "1", "--epochs", "80",
           "--gpus", "0", "--workers-per-trial", "2", "--storage", str(shared), "--set", "diagnosis.learning_curve=false",
           "--set", "scheduler.type=none", "--set", "output.checkpoint_every=5", "--set", "variants=[{kind: baseline}]"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def rows() -> list[dict]:
        found = list((shared / "mwkill" / "tune").glob("*/result.json"))
        return [json.loads(line) for line in found[0].read_text().splitlines() if line.strip()] if found else []

    try:
        killed = []
        for key, at in (("worker_pid", 12), ("pid", 30)):  # rank 0's Train worker, then the trial's actor
            assert _wait_for(lambda: len(rows()) >= at or proc.poll() is not None, timeout=300), "the trial did not go on"
            killed.append(rows()[-1])
            assert killed[-1]["epoch"] < 80, "the trial finished before the kill"
            os.kill(killed[-1][key], signal.SIGKILL)
        out, err = proc.communicate(timeout=420)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-3000:]
    report = json.loads((tmp_path / "mwkill" / "report.json").read_text())
    assert report["all_trials"][0]["status"] == "completed" and report["all_trials"][0]["epochs"] == 80
    for kill in killed:
        after = [r["epoch"] for r in rows() if r["worker_pid"] != kill["worker_pid"] and r["epoch"] > kill["epoch"] - 5]
        assert after and after[0] > 5 and after[-1] == 80, after[:5]  # from a checkpoint, not from the start
    assert _cluster_state(address, env)["groups"] == []


def test_ctrl_c_on_multi_worker_trials_leaves_nothing_on_the_cluster_and_resume_finishes_them(cluster, tmp_path):
    """Ctrl-C while a two-worker trial trains on a joined cluster, which outlives the launch: gg-train
    exits 130, no placement group or Train actor of the trial stays on the cluster, and `gg-train
    resume` trains it to its last epoch from its last checkpoint in a new Train run."""
    import signal

    from tests.integration.test_recovery import _wait_for

    address, env = cluster
    shared = tmp_path / "shared"
    cmd = [sys.executable, "-m", "orchestrator.cli", "launch", "--config", str(ROOT / "configs" / "quickstart.yaml"),
           "--address", address, "--runs-dir", str(tmp_path), "--name", "mwstop", "--samples", "1", "--epochs", "60",
           "--gpus", "0", "--workers-per-trial", "2", "--storage", str(shared), "--set", "diagnosis.learning_curve=false",
           "--set", "scheduler.type=none", "--set", "output.checkpoint_every=5", "--set", "variants=[{kind: baseline}]"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def rows() -> list[dict]:
        found = list((shared / "mwstop" / "tune").glob("*/result.json"))
        return [json.loads(line) for line in found[0].read_text().splitlines() if line.strip()] if found else []

    try:
        assert _wait_for(lambda: len(rows()) >= 12 or proc.poll() is not None, timeout=300), "the trial did not train"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 130, err[-3000:]
    stopped = rows()[-1]
    assert stopped["epoch"] < 60, "the trial finished before the interrupt"

    def left() -> dict:
        state = _cluster_state(address, env)
        return {"groups": state["groups"], "actors": [a for a in state["actors"] if any(k in a for k in ("Train", "Worker", "Queue"))]}

    assert _wait_for(lambda: left() == {"groups": [], "actors": []}, timeout=60), f"left on the cluster: {left()}"
    done = subprocess.run([sys.executable, "-m", "orchestrator.cli", "resume", "mwstop", "--runs-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    trial = json.loads((tmp_path / "mwstop" / "report.json").read_text())["all_trials"][0]
    assert trial["status"] == "completed" and trial["epochs"] == 60, trial
    after = [r["epoch"] for r in rows() if r["worker_pid"] != stopped["worker_pid"]]
    assert after and after[0] > 5 and after[-1] == 60, after[:5]  # from a checkpoint, not from the start
