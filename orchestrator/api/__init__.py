"""gg-train from Python (a notebook, a script): the `gg-train` commands as calls that return objects.

    import orchestrator

    exp = orchestrator.launch(data="train.csv", label="y")   # an Experiment
    exp.trials            # one row per trial (pandas)
    exp.findings[0]       # the worst finding of the diagnosis
    exp.test_metrics      # the winner's held-out metrics, measured once
    exp.predict(rows)     # class probabilities from best/model.keras (loaded on first use)

    exam = orchestrator.doctor("model.keras", test="test.csv", data="train.csv", label="y")
    orchestrator.load(exp.name)                               # either, later, from its folder

See docs/python-api.md. `orchestrator.launch` and `orchestrator.doctor` are also the modules of the
launch and doctor pipelines (`orchestrator/__init__.py` says how one name serves both).
"""

from orchestrator.api.calls import doctor, launch, load, resume
from orchestrator.api.examination import Examination
from orchestrator.api.experiment import Experiment

__all__ = ["Examination", "Experiment", "doctor", "launch", "load", "resume"]
