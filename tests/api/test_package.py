"""`import orchestrator` stays light, and `orchestrator.launch` / `doctor` stay the API calls whatever was imported before."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from orchestrator.errors import DataError


def test_the_api_names_load_no_tensorflow_ray_or_pandas():
    probe = ("import json, sys\n"
             "import orchestrator\n"
             "names = [orchestrator.load, orchestrator.resume, orchestrator.Experiment, orchestrator.Examination]\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras', 'ray', 'pandas'})))\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_launch_and_doctor_are_the_api_calls_whatever_was_imported_first(tmp_path):
    """The pipelines live in orchestrator.pipeline and orchestrator.checkup: importing them binds no
    package attribute named launch or doctor (a submodule of that name would replace the call)."""
    import orchestrator
    import orchestrator.checkup.run  # noqa: F401
    import orchestrator.pipeline.launch  # noqa: F401
    from orchestrator import api

    assert orchestrator.launch is api.launch and orchestrator.doctor is api.doctor
    assert "doctor" in dir(orchestrator)
    with pytest.raises(DataError, match=r"cannot tell the format of .*notes.txt.* \(pass a .csv"):
        orchestrator.launch(data=tmp_path / "notes.txt", label="y", runs_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()
    with pytest.raises(AttributeError):
        orchestrator.nothing_here
