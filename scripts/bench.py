"""gg-train's benchmarks: `python scripts/bench.py <name> [--json out.json]`; `all` runs every one.

Each prints its figure beside a reference measured in the same run (a bare compiled loop, a plain
sequential Keras script, KerasTuner) and, for the figures of issue 27's table, the goal and whether
it is met (`scripts/benchmarks/goals.py` owns the goals). BENCHMARKS.md records the figures, the
machine and these commands. Not part of the test suite: they take minutes.

    python scripts/bench.py all --json after.json
    python scripts/bench.py goals --from after.json [--before before.json]   # the issue's table, markdown

Environment: GG_BENCH_REPEAT (seed, epochparts: interleaved repetitions, medians), GG_BENCH_MEMORY_TRIALS (200),
GG_BENCH_REUSE_TRIALS (8 per launch), GG_BENCH_TINY_TRIALS (500), GG_BENCH_CONFIG (phases).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `scripts.benchmarks` from any directory

BENCHMARKS = ("epoch", "epochparts", "reuse", "memory", "seed", "quickstart", "tiny", "search", "bigdata", "phases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=(*BENCHMARKS, "all", "goals"))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--from", dest="sources", type=Path, nargs="+", default=[],
                        help="goals: the --json files of the runs to tabulate (a later file's figure wins)")
    parser.add_argument("--before", type=Path, nargs="+", default=[], help="goals: the --json files of a run before the change")
    args = parser.parse_args()
    if args.name == "goals":
        from scripts.benchmarks.goals import table

        if not args.sources:
            parser.error("goals needs --from <figures.json> (written by `bench.py <name> --json …`)")
        print(table(args.sources, args.before))
        return
    figures = []
    for name in BENCHMARKS if args.name == "all" else (args.name,):
        print(f"== {name} (load average {os.getloadavg()[0]:.2f})", flush=True)
        figures += importlib.import_module(f"scripts.benchmarks.{name}").run()
        if args.json:  # after each benchmark: a long `all` that fails late keeps what it measured
            args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
