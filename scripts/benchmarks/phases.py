"""Where a launch's wall time goes: `gg-train launch` in a child process with a timer around each
stage (Ray start, the driver's TensorFlow import, the trials, the learning curve, the evaluation,
the feature check, the export and its proof, rendering, Ray shutdown). A profile, not a figure
against a reference: it is what BENCHMARKS.md cites where a goal is not met.

    python scripts/bench.py phases                     # the quickstart
    GG_BENCH_CONFIG=configs/seed.yaml python scripts/bench.py phases
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap

from scripts.benchmarks.common import ROOT, quiet_env

STAGES = [
    ("orchestrator.tuning.cluster", "connect"), ("orchestrator.train.distribute", "prepare_driver"),
    ("orchestrator.tuning.run", "run"), ("orchestrator.tuning.curve", "run_curve"),
    ("orchestrator.results.evaluation", "evaluate"), ("orchestrator.results.evaluation", "feature_use"),
    ("orchestrator.results.evaluation", "evaluate_curve"), ("orchestrator.results.export", "export_and_verify"),
    ("orchestrator.report.render", "render"), ("orchestrator.tuning.cluster", "disconnect"),
]

CHILD = textwrap.dedent("""
    import functools, importlib, sys, time
    start = time.monotonic()

    def timed(module, name):
        owner = importlib.import_module(module)
        inner = getattr(owner, name)

        @functools.wraps(inner)
        def wrapper(*args, **kwargs):
            begun = time.monotonic()
            try:
                return inner(*args, **kwargs)
            finally:
                took = time.monotonic() - begun
                if took >= 0.05:
                    print(f"  {module.rsplit('.', 1)[-1]}.{name}: {took:5.1f} s (ends at {time.monotonic() - start:5.1f} s)",
                          file=sys.stderr, flush=True)
        setattr(owner, name, wrapper)

    for module, name in STAGES:
        timed(module, name)
    from orchestrator.cli import main
    sys.argv = ["gg-train", *sys.argv[1:]]
    main()
""")


def run() -> list[dict]:
    config = os.environ.get("GG_BENCH_CONFIG", "configs/quickstart.yaml")
    with tempfile.TemporaryDirectory(prefix="gg-bench-phases-") as runs:
        script = f"STAGES = {STAGES!r}\n" + CHILD
        proc = subprocess.run([sys.executable, "-c", script, "launch", "--config", config, "--gpus", "0", "--name", "phases",
                               "--runs-dir", runs], cwd=ROOT, env=quiet_env(), capture_output=True, text=True)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("  ") and " s (ends at " in line or line.startswith("took ")]
    print(f"launch of {config}:")
    print("\n".join(lines))
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return []
