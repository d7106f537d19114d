"""The docs' reference pages for the command line and the config, written from the code at every
`mkdocs build` (mkdocs.yml runs this file through mkdocs-gen-files), so they cannot drift:

- reference/cli.md: every command, argument and flag of the Typer app, from the click command tree
  Typer builds (`typer.main.get_command`), with its help, type and default;
- reference/config.md: every config key with its type, default and allowed values, from the pydantic
  schema (`orchestrator/config/`), and the comments written beside each field in the source.

Nothing here is committed as generated text; `tests/test_docs.py` builds the site and checks both pages
against the app and the schema.
"""

from __future__ import annotations

import ast
import inspect
import io
import json
import textwrap
import tokenize
import typing
from pathlib import Path

import typer.main
from pydantic import BaseModel

from orchestrator.cli import app
from orchestrator.config import ExperimentConfig
from orchestrator.config.domains import Choice, HParam, LogUniform, ModelParam, Uniform

PAGES = ("reference/cli.md", "reference/config.md")
_DOMAINS = {LogUniform: "{loguniform: [low, high]}", Uniform: "{uniform: [low, high]}", Choice: "{choice: [...]}"}


def _cell(text) -> str:
    """A markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


# ---- the command line --------------------------------------------------------------------------


def _param_row(param, context) -> str:
    """A row as `gg-train COMMAND --help` shows it (click's help record: flags, metavar, help, default)."""
    flags, help_text = param.get_help_record(context)
    return f"| `{_cell(flags)}` | {_cell(help_text)} |"


def cli_page() -> str:
    group = typer.main.get_command(app)
    lines = ["# Command line", "", "Generated from the Typer app (`orchestrator/cli.py`) at every docs build; "
             "`gg-train COMMAND --help` prints the same.", "", _cell(group.help), ""]
    for name, command in group.commands.items():
        context = command.context_class(command, info_name=f"gg-train {name}")
        usage = " ".join(command.collect_usage_pieces(context))
        lines += [f"## gg-train {name}", "", _cell(command.help or ""), "", f"```text\ngg-train {name} {usage}\n```", "",
                  "| argument or flag | what it does |", "| --- | --- |"]
        lines += [_param_row(p, context) for p in command.params]
        lines.append("")
    return "\n".join(lines)


# ---- the config --------------------------------------------------------------------------------


def _comments(cls: type) -> dict[str, str]:
    """Each field's comment in the class's source: the comment lines right above it and the one after it."""
    source = textwrap.dedent(inspect.getsource(cls))
    comments = {tok.start[0]: tok.string.lstrip("# ").strip() for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                if tok.type == tokenize.COMMENT}
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body[0].body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            above, row = [], node.lineno - 1
            while row >= 1 and lines[row - 1].strip().startswith("#"):
                above.insert(0, comments[row])
                row -= 1
            after = [comments[r] for r in range(node.lineno, node.end_lineno + 1) if r in comments]
            found[node.target.id] = " ".join(above + after)
    return found


def _type(annotation) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation in (HParam, ModelParam, HParam | None):
        return "a fixed value or a search domain"
    if annotation in _DOMAINS:
        return _DOMAINS[annotation]
    if origin is typing.Annotated:
        return _type(args[0])
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType")):
        return " or ".join(_type(a) for a in args if a is not type(None))
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is tuple:
        return "(" + ", ".join(_type(a) for a in args) + ")"
    if origin is dict:
        return f"mapping of name to ({_type(args[1])})"
    if annotation is typing.Any:
        return "any value"
    return {str: "text", Path: "path", bool: "true/false", int: "integer", float: "number"}.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _limits(field) -> str:
    words = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "min_length": "length ≥", "max_length": "length ≤",
             "pattern": "matching `{}`"}
    parts = []
    for item in field.metadata:
        for attr, word in words.items():
            value = getattr(item, attr, None)
            if value is not None:
                parts.append(word.format(value) if "{}" in word else f"{word} {value}")
    return ", ".join(parts)


def _default(field) -> str:
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default_factory is not None else field.default
    return f"`{json.dumps(value, default=str)}`"


def _section(cls: type[BaseModel], prefix: str, out: list[str], nested: list) -> None:
    notes = _comments(cls)
    doc = inspect.getdoc(cls) if cls.__doc__ else ""
    out += [f"## `{prefix}`" if prefix else "## top level", "", *([doc, ""] if doc else []),
            "| key | type | default | allowed | what it is |", "| --- | --- | --- | --- | --- |"]
    for name, field in cls.model_fields.items():
        key = f"{prefix}.{name}" if prefix else name
        inner = field.annotation
        item = typing.get_args(inner)[0] if typing.get_origin(inner) is list else inner
        if inspect.isclass(item) and issubclass(item, BaseModel) and item not in _DOMAINS:
            is_list = item is not inner
            nested.append((item, f"{key}[]" if is_list else key))
            kind, default = f"list of [`{key}[]`](#{_anchor(key + '[]')})" if is_list else f"section [`{key}`](#{_anchor(key)})", ""
        else:
            kind, default = _type(inner), _default(field)
        out.append(f"| `{key}` | {_cell(kind)} | {_cell(default)} | {_cell(_limits(field))} | {_cell(notes.get(name, ''))} |")
    out.append("")


def _anchor(key: str) -> str:
    """The id Python-Markdown's toc gives the heading "## `key`"."""
    return "".join(c for c in key.lower() if c.isalnum() or c in "-_")


def config_page() -> str:
    out = ["# Config keys", "",
           "Generated from the pydantic schema (`orchestrator/config/schema.py`, `domains.py`) at every docs build. "
           "A YAML file (`--config`) gives the values, `--set KEY=VALUE` and the flags override them; an unknown key "
           "or a value out of range stops the launch in one line naming its dotted key.", "",
           "A hyperparameter (`hparams.*`, `variants[].params.*`, `model.params.*`) is a fixed value or a search domain: "
           "`{loguniform: [1e-4, 1e-2]}`, `{uniform: [0.1, 0.5]}`, `{choice: [[128, 64], [64, 32]]}`.", ""]
    queue: list = [(ExperimentConfig, "")]
    while queue:
        cls, prefix = queue.pop(0)
        _section(cls, prefix, out, queue)
    return "\n".join(out)


def pages() -> dict[str, str]:
    return {"reference/cli.md": cli_page(), "reference/config.md": config_page()}


if __name__ == "<run_path>":  # run by mkdocs-gen-files during `mkdocs build`
    import mkdocs_gen_files

    for path, text in pages().items():
        with mkdocs_gen_files.open(path, "w") as page:
            page.write(text)
