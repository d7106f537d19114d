"""The layout is the architecture: these tests fail when code crosses a boundary the folders promise.

- Ray lives on the driver side (`tuning/`) and in the one trainable adapter (`train/tune_adapter.py`).
- `results/` and `report/` load neither Ray nor TensorFlow when imported (TF only inside functions).
- `report/` renders what `results/` computed: it never imports the diagnosis.
- Imports flow one way, from the CLI down through the pipeline's stages to the leaves.
- Modules stay under 300 lines and functions under 50; the rules named once stay named once.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "orchestrator"
RAY_ALLOWED = ("tuning/", "train/tune_adapter.py")
# Lower layers never import higher ones. Leaves import nothing of gg-train but errors.
LAYERS = [
    {"", "errors", "names", "folder.files", "driver", "driver.logfile", "driver.background", "models.catalogue"},  # "": the package itself
    {"config", "folder", "folder.disk", "folder.state_seal"},  # "folder": its __init__, a docstring
    {"folder.experiments", "data", "folder.phases", "folder.tune_state"},
    {"models"},
    {"train"},
    {"tuning"},
    {"results"},
    {"report"},
    {"checkup"},  # the doctor: examines a user's trained model: data, models, results' metrics; never Ray
    {"pipeline"},  # launch and resume, conclude, and `gg-train report` (diagnosis + rendering again)
    {"api"},  # the pipelines as Python calls returning objects (orchestrator.launch(...)…)
    {"cli", "checkup.command"},  # checkup.command: the `gg-train doctor` command, kept beside the doctor
]
# The one way up: the package's lazy attributes (PEP 562: orchestrator.launch(...)) reach the API,
# imported on first use.
FRONT_DOOR = {("orchestrator", "orchestrator.api")}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def dotted(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(["orchestrator", *[p for p in parts if p != "__init__"]])


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import statement, lazy ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, id(node) in top))
            if node.module == "orchestrator" or node.module.startswith("orchestrator."):
                found += [(f"{node.module}.{alias.name}", id(node) in top) for alias in node.names]
    return found


def layer(module: str) -> int | None:
    parts = module.split(".")[1:]
    for depth in (2, 1):
        key = ".".join(parts[:depth])
        for i, names in enumerate(LAYERS):
            if key in names:
                return i
    return None


def test_only_tuning_and_the_trainable_adapter_import_ray():
    offenders = [f"{rel(p)} imports {m}" for p in modules() for m, _ in imports(p)
                 if (m == "ray" or m.startswith("ray.")) and not rel(p).startswith(RAY_ALLOWED)]
    assert offenders == []


@pytest.mark.parametrize("package", ["results", "report"])
def test_results_and_report_import_no_ray_or_tensorflow_at_module_level(package):
    heavy = ("ray", "tensorflow", "keras")
    static = [f"{rel(p)}: {m}" for p in modules() if rel(p).startswith(package + "/")
              for m, top in imports(p) if top and m.split(".")[0] in heavy]
    assert static == []
    names = [dotted(p) for p in modules() if rel(p).startswith(package + "/")]
    code = ("import importlib, json, sys\n"
            f"for name in {names!r}: importlib.import_module(name)\n"
            f"print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_report_never_computes_a_diagnosis_of_its_own():
    offenders = [f"{rel(p)}: {m}" for p in modules() if rel(p).startswith("report/")
                 for m, _ in imports(p) if m.startswith("orchestrator.results.diagnosis")]
    assert offenders == []


def test_imports_flow_one_way():
    problems = []
    for path in modules():
        own = layer(dotted(path))
        assert own is not None, f"{rel(path)} has no layer in tests/test_layout.py: place it"
        for module, _ in imports(path):
            if not module.startswith("orchestrator.") or (dotted(path), module) in FRONT_DOOR:
                continue
            target = layer(module)
            if target is not None and target > own:
                problems.append(f"{rel(path)} (layer {own}) imports {module} (layer {target})")
    assert problems == []


def _import_graph() -> dict[str, set[str]]:
    """Module -> the gg-train modules it imports (lazy imports included: a circle through a function
    is still a circle a reader has to hold in mind)."""
    known = {dotted(p) for p in modules()}
    return {dotted(p): {m for m, _ in imports(p) if m in known and m != dotted(p) and (dotted(p), m) not in FRONT_DOOR}
            for p in modules()}  # the front door's lazy way up is the one edge a circle may pass


def test_no_module_imports_itself_through_others():
    """Within a stage too (`data/`'s dataset, table and sources once went round in a circle)."""
    graph, circles = _import_graph(), []
    for start in graph:
        stack = [(start, [start])]
        while stack and len(circles) < 5:
            module, path = stack.pop()
            for target in graph[module]:
                if target == start:
                    circles.append(" -> ".join(path + [start]))
                elif target not in path and target > start:  # each circle once, from its smallest module
                    stack.append((target, path + [target]))
    assert circles == []


def test_leaves_import_nothing_of_gg_train_but_errors():
    for path in modules():
        if layer(dotted(path)) == 0:
            used = {m for m, _ in imports(path) if m.startswith("orchestrator.")} - {"orchestrator.errors"}
            used -= {module for package, module in FRONT_DOOR if package == dotted(path)}
            assert used == set(), rel(path)


def test_modules_and_functions_stay_small():
    big = [f"{rel(p)}: {n} lines" for p in modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300]
    long = [f"{rel(p)}:{node.name}: {node.end_lineno - node.lineno + 1} lines" for p in modules()
            for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 50]
    assert big == [] and long == []


def _files_containing(pattern: str) -> set[str]:
    regex = re.compile(pattern)
    return {rel(p) for p in modules() if regex.search(p.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("pattern, owners", [
    (r"A-Za-z0-9", {"names.py"}),  # the name rules
    (r"\}_\{", {"names.py"}),  # `<variant>_<trial id>`
    (r"\"dropout_early_stopping\"", {"models/catalogue.py"}),  # the variant kinds
    (r"\"stopped_by_asha\"|\"stopped_early\"", {"tuning/outcomes.py", "report/contract.py"}),  # status words (+ schema 1)
    (r"def write_json_atomic|def array_hash", {"folder/files.py"}),
    (r"LABEL_SHIFT\w* = ", {"data/checks.py"}),
    (r"Table\(title=f\"\{report", {"report/tables.py"}),  # the variant table
])
def test_each_rule_has_one_owner(pattern, owners):
    assert _files_containing(pattern) == owners
