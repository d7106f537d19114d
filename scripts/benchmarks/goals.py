"""Issue 27's goal table: the one owner of each figure's goal, and the printer that turns the
figures of `bench.py … --json` into the table BENCHMARKS.md records.

    python scripts/bench.py all --json after.json
    python scripts/bench.py goals --from after.json [seed.json …] [--before before.json]

A benchmark names its row by key (`common.figure(..., key=...)`); a figure with no key is a
reference or a labelled side figure and is printed by its benchmark only.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Goal:
    """One row of the issue's table: what is measured, the figure before the issue, the bound."""

    label: str
    before: str  # the "now" column, as filed
    limit: float
    on: str  # "ratio" (figure ÷ its reference) or "value" (the figure itself, seconds)
    unit: str = ""

    def text(self) -> str:
        return f"≤ {self.limit:g}{self.unit}"

    def met(self, figure: dict) -> bool:
        number = figure[self.on]
        return math.isfinite(number) and number <= self.limit


GOALS: dict[str, Goal] = {
    "seed": Goal("seed comparison with the learning curve ÷ the seed article's plain sequential script", "1.73", 1.0, "ratio"),
    "reuse": Goal("first epoch of a trial in a reused worker, same architecture as the worker's last trial", "1.72 s",
                  0.3, "value", " s"),
    "memory": Goal("worker memory after 200 trials ÷ after 5 (same architecture)", "1.27 after 50", 1.05, "ratio"),
    "memory_cycling": Goal("the same, architectures cycling over 6 hidden sizes", "—", 1.05, "ratio"),
    "tiny": Goal("500 one-epoch trials: wall per trial on 2 cores", "0.93 s", 0.3, "value", " s"),
    "epoch": Goal("trial epoch ÷ bare compiled epoch, 300 rows", "4.27", 2.0, "ratio"),
    "search": Goal("search vs KerasTuner Hyperband on the same rows, same accuracy (random)", "0.24–0.30", 0.15, "ratio"),
    "search_tpe": Goal("the same, search.algorithm: tpe", "0.19", 0.15, "ratio"),
}


def shown(figure: dict) -> str:
    """The row's number as the goal reads it: a ratio, or the value with its reference beside it."""
    goal = GOALS[figure["key"]]
    if goal.on == "ratio":
        text = f"{figure['ratio']:.3g} ({figure['value']:.4g} / {figure['reference_value']:.4g})"
    else:
        text = f"{figure['value']:.3g}{goal.unit} (reference {figure['reference_value']:.3g}{goal.unit})"
    return text + (f"; {figure['note']}" if figure.get("note") else "")


def _keyed(paths: list[Path]) -> dict[str, dict]:
    """The figures with a goal row, by key; a later file's figure replaces an earlier one's."""
    out = {}
    for path in paths:
        for figure in json.loads(path.read_text(encoding="utf-8")):
            if figure.get("key") in GOALS:
                out[figure["key"]] = figure
    return out


def table(paths: list[Path], before: list[Path]) -> str:
    """The issue's table as markdown: figure | as filed | before (if given) | now | goal | met?"""
    now, then = _keyed(paths), _keyed(before)
    head = ["figure", "as filed"] + (["before (this machine)"] if before else []) + ["now", "goal", "met?"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for key, goal in GOALS.items():
        cells = [goal.label, goal.before]
        if before:
            cells.append(shown(then[key]) if key in then else "not measured")
        if key in now:
            cells += [shown(now[key]), goal.text(), "yes" if goal.met(now[key]) else "**no**"]
        else:
            cells += ["not measured", goal.text(), "—"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
