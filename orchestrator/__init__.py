"""gg-train: train regularization variants side by side and evaluate the winner on data no choice was made on.

From Python: `orchestrator.launch(...)`, `orchestrator.doctor(...)`, `orchestrator.resume(name)` and
`orchestrator.load(name)` (orchestrator/api/, docs/python-api.md). Importing the package loads
none of them: each is imported on first use (PEP 562), so `gg-train --help` stays free of
TensorFlow, Ray and pandas.

`orchestrator.launch` and `orchestrator.doctor` are also the modules of the launch and doctor
pipelines (`orchestrator/launch.py`, `orchestrator/doctor/`), and Python's import system binds a
package's attribute to its submodule of that name whenever the submodule is imported. So those two
modules are made callable (`callable_module`): calling one runs the API function of its name, and
every other use of the module (`from orchestrator.launch import resume`, `import
orchestrator.doctor.run`) is unchanged.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.2.0"

_SUBMODULES = ("launch", "doctor")  # callable modules: the pipelines that are also API calls
_API = ("load", "resume", "Experiment", "Examination")  # the rest of orchestrator.api


class _CallableModule(types.ModuleType):
    """A pipeline module that is also the API call of its name."""

    def __call__(self, *args, **kwargs):
        from orchestrator import api

        return getattr(api, self.__name__.rpartition(".")[2])(*args, **kwargs)


def callable_module(name: str) -> None:
    """Make the module `name` (orchestrator.launch or orchestrator.doctor) callable as its API function."""
    sys.modules[name].__class__ = _CallableModule


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _API:
        from orchestrator import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES, *_API})
