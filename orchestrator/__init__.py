"""gg-train: train regularization variants side by side and evaluate the winner on data no choice was made on.

From Python: `orchestrator.launch(...)`, `orchestrator.doctor(...)`, `orchestrator.resume(name)` and
`orchestrator.load(name)` (orchestrator/api/, docs/python-api.md). Importing the package loads
none of them: each is imported on first use (PEP 562), so `gg-train --help` stays free of
TensorFlow, Ray and pandas.
"""

from __future__ import annotations

__version__ = "0.2.0"

_API = ("launch", "doctor", "resume", "load", "Experiment", "Examination")  # orchestrator.api, imported on first use


def __getattr__(name: str):
    if name in _API:
        from orchestrator import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
