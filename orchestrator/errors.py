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

    def __str__(self) -> str:
        """The problem and its fix, as a traceback shows it (the Python API raises these as they are)."""
        return f"{self.message} ({self.hint})" if self.hint else self.message

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


def first_line(exc: BaseException) -> str:
    """An exception's first line (its type's name when it has no message), at most 200 characters:
    what a one-line message quotes of a library's error."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
