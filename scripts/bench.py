"""gg-train's benchmarks: `python scripts/bench.py <name> [--json out.json]`; `all` runs every one.

Each prints its figure beside a reference measured in the same run (a bare compiled loop, a plain
sequential Keras script, KerasTuner) and the ratio against the goal in issue 10. BENCHMARKS.md
records the figures, the machine and these commands. Not part of the test suite: they take minutes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `scripts.benchmarks` from any directory

BENCHMARKS = ("epoch", "epochparts", "reuse", "memory", "seed", "quickstart", "tiny", "search", "bigdata", "phases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=(*BENCHMARKS, "all"))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = []
    for name in BENCHMARKS if args.name == "all" else (args.name,):
        print(f"== {name}", flush=True)
        figures += importlib.import_module(f"scripts.benchmarks.{name}").run()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
