"""Every shell example in README.md and docs/ runs, or says in the Markdown why it does not.

A ```bash (sh, shell, console) block is run as it is, unless the line right before it is a marker:
`<!-- not run: REASON -->` (a cloud cluster, a GPU, a server until Ctrl-C) or `<!-- dry run: REASON -->`
(each `gg-train launch` in it gets `--dry-run`: every check before the first trial, nothing trained).
Blocks that show output are ```text and never run. All blocks run in one folder, README's tour first
(a session fixture: the example inputs, a small launch, the doctor), then docs/ page by page, so the
examples that need a finished experiment share the tour's. The report.json and doctor.json tables are
checked against the tour's real files here too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHELL = ("bash", "sh", "shell", "console")
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
MARK = re.compile(r"<!--\s*(not run|dry run|[\w ]+?)\s*:\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    where: str  # file:line, for the test id and the failure message
    code: str
    mark: str | None  # None (run), "not run", "dry run", or anything else (an error)
    reason: str


def blocks(path: Path) -> list[Block]:
    text = path.read_text()
    found = []
    for fence in FENCE.finditer(text):
        if fence.group(1) not in SHELL:
            continue
        before = text[:fence.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = MARK.search(before)
        line = text.count("\n", 0, fence.start()) + 1
        found.append(Block(f"{path.relative_to(ROOT)}:{line}", fence.group(2), mark and mark.group(1), mark.group(2) if mark else ""))
    return found


README = blocks(ROOT / "README.md")
DOCS = [b for page in sorted((ROOT / "docs").rglob("*.md")) for b in blocks(page)]


def _dry(code: str) -> str:
    """Each `gg-train launch` command (continuation lines joined) with --dry-run before its comment."""
    joined = code.replace("\\\n", " ")
    return re.sub(r"(?m)^(gg-train launch\b[^#\n]*?)(\s*#.*)?$", lambda m: f"{m.group(1)} --dry-run{m.group(2) or ''}", joined)


def run(block: Block, folder: Path) -> None:
    code = _dry(block.code) if block.mark == "dry run" else block.code
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=folder, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert done.returncode == 0, f"{block.where} exited {done.returncode}:\n{code}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"


def test_every_block_runs_or_says_why():
    assert len(README) >= 6 and len(DOCS) >= 10
    for block in README + DOCS:
        assert block.mark in (None, "not run", "dry run"), f"{block.where}: unknown marker {block.mark!r}"
        assert block.mark is None or block.reason, f"{block.where}: a {block.mark} marker needs its reason"
        assert block.mark == "dry run" or "--dry-run" not in block.code or block.mark == "not run"
        if block.mark == "dry run":
            assert _dry(block.code).count("--dry-run") == block.code.count("gg-train launch") > 0, block.where


@pytest.fixture(scope="session")
def tour(tmp_path_factory) -> Path:
    """A folder laid out like the repository (configs, scripts, cluster) where README's blocks ran in order."""
    folder = tmp_path_factory.mktemp("tour")
    for name in ("configs", "scripts", "cluster"):
        (folder / name).symlink_to(ROOT / name)
    for block in README:
        if block.mark != "not run":
            run(block, folder)
    return folder


@pytest.mark.examples
@pytest.mark.long
@pytest.mark.parametrize("block", [b for b in DOCS if b.mark != "not run"], ids=lambda b: b.where)
def test_docs_example_runs(block, tour):
    run(block, tour)


def _fields(document: dict) -> set[str]:
    """Every field at the top level and one level down (in a list, its first item's)."""
    found = set()
    for key, value in document.items():
        found.add(key)
        inner = value if isinstance(value, dict) else value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else {}
        found |= {f"{key}.{sub}" for sub in inner}
    return found


@pytest.mark.examples
@pytest.mark.long
@pytest.mark.parametrize("page, written", [("report-json.md", "runs/penguins/report.json"), ("doctor-json.md", "runs/cancer/doctor.json")])
def test_json_reference_names_every_field_written(page, written, tour):
    named = {n.removesuffix("[]") for n in re.findall(r"`([^`]+)`", (ROOT / "docs/reference" / page).read_text())}
    fields = _fields(json.loads((tour / written).read_text()))
    assert len(fields) > 30
    missing = sorted(f for f in fields if f.rsplit(".", 1)[-1] not in named)
    assert not missing, f"docs/reference/{page} does not name {missing}"
