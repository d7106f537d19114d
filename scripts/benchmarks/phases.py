"""Where a launch's wall time goes: `gg-train launch` in a child process with a timer around each
stage (Ray start, the driver's TensorFlow import, the trials, the learning curve, the evaluation,
the feature check, the export and its proof, rendering, Ray shutdown), the first report of each
Tune run (the trials', the learning curve's) and the whole launch's wall. Each line says when the
stage ended, so stages that overlap show it. A profile, not a figure against a reference: it is
what BENCHMARKS.md cites where a goal is not met.

    python scripts/bench.py phases                     # the quickstart
    GG_BENCH_CONFIG=configs/seed.yaml GG_BENCH_REPEAT=3 python scripts/bench.py phases
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

from scripts.benchmarks.common import ROOT, quiet_env

STAGES = [  # where the code under test lacks one (an older checkout), it is skipped
    ("orchestrator.data", "load_dataset"), ("orchestrator.data.checks", "run_checks"),
    ("orchestrator.tuning.cluster", "connect"), ("orchestrator.launch", "_driver_tensorflow"),
    ("orchestrator.train.distribute", "prepare_driver"), ("orchestrator.tuning.run", "run"), ("orchestrator.tuning.curve", "run_curve"),
    ("orchestrator.pipeline.conclude", "evaluate"), ("orchestrator.results.evaluation", "evaluate"),
    ("orchestrator.results.evaluation", "feature_use"), ("orchestrator.results.evaluation", "evaluate_curve"),
    ("orchestrator.results.references", "evaluate_references"), ("orchestrator.results.export", "export_and_verify"),
    ("orchestrator.report.render", "render"), ("orchestrator.tuning.cluster", "disconnect"),
]

CHILD = textwrap.dedent("""
    import functools, importlib, os, sys, threading, time
    start = time.monotonic()
    # gg-train points descriptor 2 at its log for the whole command: the timings go to a copy of the original.
    timings = os.fdopen(os.dup(2), "w", buffering=1)

    def timed(module, name):
        try:
            owner = importlib.import_module(module)
            inner = getattr(owner, name)
        except (ImportError, AttributeError):
            return

        @functools.wraps(inner)
        def wrapper(*args, **kwargs):
            begun = time.monotonic()
            try:
                return inner(*args, **kwargs)
            finally:
                took = time.monotonic() - begun
                if took >= 0.05:
                    where = "" if threading.current_thread() is threading.main_thread() else f" [thread {threading.current_thread().name}]"
                    print(f"  {module.rsplit('.', 1)[-1]}.{name}: {took:5.1f} s (ends at {time.monotonic() - start:5.1f} s){where}",
                          file=timings)
        setattr(owner, name, wrapper)

    import orchestrator
    print(f"  code under test: {os.path.dirname(orchestrator.__file__)}", file=timings)
    for module, name in STAGES:
        timed(module, name)

    from orchestrator.tuning.progress import Progress
    heard = set()
    report = Progress.__call__

    def first_report(self, event, info):
        if id(self) not in heard:
            heard.add(id(self))
            print(f"  first report of a Tune run ({info['trial']}, pid {info['result'].get('pid')}) at {time.monotonic() - start:5.1f} s",
                  file=timings)
        return report(self, event, info)
    Progress.__call__ = first_report
    from orchestrator.cli import main
    sys.argv = ["gg-train", *sys.argv[1:]]
    main()
""")


def launch_once(config: str) -> float:
    """One launch in a child process: its stage lines printed, its wall returned."""
    # The code under test is the one PYTHONPATH names (an older checkout, for a before/after), else this
    # one; the launch runs in an empty folder so that the folder it starts in cannot shadow either.
    env = dict(quiet_env(), PYTHONPATH=os.environ.get("PYTHONPATH") or str(ROOT))
    with tempfile.TemporaryDirectory(prefix="gg-bench-phases-") as runs:
        script = f"STAGES = {STAGES!r}\n" + CHILD
        begun = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", script, "launch", "--config", str(ROOT / config), "--gpus", "0", "--name",
                               "phases", "--runs-dir", runs], cwd=runs, env=env, capture_output=True, text=True)
        wall = time.monotonic() - begun
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    print("\n".join(line for line in proc.stderr.splitlines() if line.startswith("  ") and (" s (ends at " in line or "first report" in line or "code under test" in line)))
    print(f"  whole launch (interpreter start to exit): {wall:5.1f} s", flush=True)
    return wall


def run() -> list[dict]:
    """GG_BENCH_CONFIG picks the config (the quickstart by default), GG_BENCH_REPEAT the number of launches,
    PYTHONPATH the code under test."""
    config = os.environ.get("GG_BENCH_CONFIG", "configs/quickstart.yaml")
    walls = []
    for n in range(int(os.environ.get("GG_BENCH_REPEAT", "1"))):
        print(f"launch {n + 1} of {config}:", flush=True)
        walls.append(launch_once(config))
    print(f"whole launch of {config}: median {statistics.median(walls):.1f} s of {len(walls)} ({', '.join(f'{w:.1f}' for w in walls)})")
    return []
