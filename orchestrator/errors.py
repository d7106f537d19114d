"""Errors a user can fix.

A `GGError` is bad input or an impossible request: the CLI prints its one line (problem, then the
fix) and exits 2 without a traceback. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class GGError(Exception):
    """A problem the user can fix; `hint` says how."""

    kind = "error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        text = f"{self.kind}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return " ".join(text.split())


class ConfigError(GGError):
    kind = "config error"


class DataError(GGError):
    kind = "data error"


class ClusterError(GGError):
    kind = "cluster error"


class ExperimentError(GGError):
    kind = "experiment error"


class ExportError(GGError):
    kind = "export error"


class ModelError(GGError):
    """A user's model builder or saved model that gg-train cannot train (import, return type, shapes)."""

    kind = "model error"
