"""`import orchestrator` stays light, and `orchestrator.launch` / `doctor` are both the API calls and the pipeline modules."""

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


def test_launch_and_doctor_are_callable_modules_whatever_was_imported_first(tmp_path):
    import orchestrator
    import orchestrator.launch as pipeline
    from orchestrator.doctor.run import DoctorRequest

    assert orchestrator.launch is pipeline and callable(pipeline) and callable(orchestrator.doctor)
    assert pipeline.resume and DoctorRequest and "doctor" in dir(orchestrator)
    with pytest.raises(DataError, match=r"cannot tell the format of .*notes.txt.* \(pass a .csv"):
        orchestrator.launch(data=tmp_path / "notes.txt", label="y", runs_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()
    with pytest.raises(AttributeError):
        orchestrator.nothing_here
