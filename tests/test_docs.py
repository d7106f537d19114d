"""The docs site builds with `mkdocs build --strict`, and its generated reference pages name every
command, flag and config key the code has (walked here from the Typer app and the pydantic schema
on their own, not through scripts/docs_reference.py), so a page cannot fall behind the code."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
QUIET = {"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}  # Material's and mkdocs' banners


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)], cwd=ROOT,
                           capture_output=True, text=True, env={**os.environ, **QUIET}, timeout=600)
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.stderr[-4000:]}"
    return out


def _section(page: str, anchor: str) -> str:
    """The HTML from the heading with this id to the next heading of its level."""
    start = page.index(f'id="{anchor}"')
    end = page.find("<h2", start)
    return page[start:end if end > 0 else None]


def test_site_builds_strict_with_its_pages(site):
    for page in ("index.html", "getting-started/index.html", "reference/cli/index.html", "reference/config/index.html",
                 "reference/report-json/index.html", "reference/doctor-json/index.html", "speed/index.html"):
        assert (site / page).is_file(), page
    assert "Issue 27" in (site / "speed/index.html").read_text()  # BENCHMARKS.md included as it is
    assert "examples/doctor/cancer.keras" in html.unescape(re.sub(r"<[^>]+>", "", (site / "index.html").read_text()))  # README's tour


def test_cli_reference_names_every_command_and_flag(site):
    import typer.main

    from orchestrator.cli import app

    page = (site / "reference/cli/index.html").read_text()
    group = typer.main.get_command(app)
    assert group.commands
    for name, command in group.commands.items():
        section = html.unescape(re.sub(r"<[^>]+>", "", _section(page, f"gg-train-{name}")))
        for param in command.params:
            for word in [*param.opts, *param.secondary_opts] if param.param_type_name == "option" else [param.name]:
                assert re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", section), f"gg-train {name}: {word} missing from the CLI page"


def _keys(model: type[BaseModel], prefix: str = "") -> typing.Iterator[tuple[str, object]]:
    """(dotted key, field) of every config key, sections and list items (`variants[]`) included."""
    for name, field in model.model_fields.items():
        key = f"{prefix}.{name}" if prefix else name
        yield key, field
        inner = field.annotation
        item = typing.get_args(inner)[0] if typing.get_origin(inner) is list else inner
        if isinstance(item, type) and issubclass(item, BaseModel) and item.model_fields and "loguniform" not in item.model_fields:
            yield from _keys(item, f"{key}[]" if item is not inner else key)


def _row(page: str, key: str) -> str:
    found = re.search(rf"<tr>\s*<td><code>{re.escape(html.escape(key, quote=False))}</code></td>(.*?)</tr>", page, re.S)
    assert found, f"config key {key} missing from the config page"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def test_config_reference_names_every_key_with_its_default_and_allowed_values(site):
    from orchestrator.config import ExperimentConfig

    page = (site / "reference/config/index.html").read_text()
    keys = list(_keys(ExperimentConfig))
    assert len(keys) > 60 and "variants[].params.dropout" in dict(keys)
    for key, field in keys:
        row = _row(page, key)
        literal = [a for a in typing.get_args(field.annotation) if typing.get_origin(a) is typing.Literal] or [field.annotation]
        for allowed in literal:
            if typing.get_origin(allowed) is typing.Literal:
                for value in typing.get_args(allowed):
                    assert str(value) in row, f"{key}: allowed value {value} missing"
        if not field.is_required() and field.default_factory is None and not isinstance(field.default, BaseModel):
            assert json.dumps(field.default, default=str) in row, f"{key}: default {field.default!r} missing"
