"""Soak: a 100-trial experiment while a random trial worker is SIGKILLed every 10 s.

    python scripts/bench_soak.py [--trials 100] [--every 10] [--epochs 8]

Prints the trials lost (goal 0: every trial ends completed, early-stopped or stopped by ASHA, none
errored or missing) and the extra epochs the kills cost (epochs trained beyond what the trials
needed: the replay from each killed trial's last checkpoint), beside the epochs the trials needed.
Not part of the test suite: it takes minutes. BENCHMARKS.md records the figure and this command.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `scripts.benchmarks` from any directory

from scripts.benchmarks.common import ROOT, classification, figure, quiet_env, trial_results, write_csv  # noqa: E402
from scripts.benchmarks.launching import one_variant_config  # noqa: E402


def _trial_workers(launch: psutil.Process) -> list[psutil.Process]:
    """The Ray worker processes running a trial right now (Tune's function trainable actor)."""
    found = []
    for proc in launch.children(recursive=True):
        try:
            if proc.name().startswith("ray::ImplicitFunc"):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _killer(launch: subprocess.Popen, every: float, kills: list[str], seed: int) -> None:
    rng = random.Random(seed)
    parent = psutil.Process(launch.pid)
    while launch.poll() is None:
        time.sleep(every)
        workers = _trial_workers(parent) if launch.poll() is None else []
        if workers:
            victim = rng.choice(workers)
            try:
                victim.send_signal(signal.SIGKILL)
                kills.append(f"{time.strftime('%H:%M:%S')} pid {victim.pid}")
            except psutil.Error:
                pass


def run(trials: int, every: float, epochs: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="gg-soak-") as tmp:
        x, y = classification(400, seed=11)
        csv = write_csv(Path(tmp) / "rows.csv", x, y)
        config = one_variant_config(csv, epochs=epochs, samples=trials, hidden=(16,))
        config["search"] = {"enabled": True, "samples": trials}
        config["output"] = {"tensorboard": False}
        config["failure"] = {"max_retries": 20}
        path = Path(tmp) / "soak.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        runs = Path(tmp) / "runs"
        started = time.perf_counter()
        launch = subprocess.Popen([sys.executable, "-m", "orchestrator.cli", "launch", "--config", str(path), "--name", "soak",
                                   "--runs-dir", str(runs), "--gpus", "0"], cwd=ROOT, env=quiet_env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        kills: list[str] = []
        killer = threading.Thread(target=_killer, args=(launch, every, kills, 7), daemon=True)
        killer.start()
        _, err = launch.communicate()
        wall = time.perf_counter() - started
        if launch.returncode != 0:
            raise RuntimeError(f"gg-train launch failed ({launch.returncode}): {err[-2000:]}")
        report = json.loads((runs / "soak" / "report.json").read_text())
        counts = report["trials"]
        ended_well = sum(counts.get(k, 0) for k in ("completed", "early_stopped", "stopped_by_asha"))
        lost = trials - ended_well
        rows = trial_results(runs / "soak" / "tune")
        reported = sum(len(r) for r in rows)
        needed = sum(max(line["epoch"] for line in r) for r in rows)  # one row per epoch (training_iteration counts reports)
        print(f"  {len(kills)} trial workers killed over {wall:.0f} s; trials: {counts}")
        for trial in report.get("all_trials", []):
            if trial.get("status") not in ("completed", "early_stopped", "stopped_by_asha"):
                print(f"  lost: {trial.get('trial_id')} {trial.get('status')}: {trial.get('error')}")
        return [figure("trials lost", lost, "trials", trials, "0"),
                figure("extra epochs (replayed after kills)", reported - needed, "epochs the trials needed", needed, "small")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between kills")
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    run(args.trials, args.every, args.epochs)


if __name__ == "__main__":
    main()
