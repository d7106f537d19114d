"""What `orchestrator.launch(...)` and `orchestrator.load(name)` hand back: one experiment folder read
as Python objects. Everything comes from the folder's own files (report.json, manifest.json, best/),
so a loaded experiment and a just-finished one are the same object; nothing here computes a number
report.json does not hold. The best model is loaded only when asked for, once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.errors import ExperimentError
from orchestrator.folder import experiments

# report.json's per-split metrics the variants table shows, as `<split>_<metric>` columns.
VARIANT_METRICS = ("accuracy", "balanced_accuracy", "f1", "loss")


@dataclass(frozen=True)
class ExperimentPaths:
    """Where an experiment's files are: open report_html in a browser, serve tensorboard with
    `gg-train tensorboard NAME`, serve `saved_model` with TF Serving."""

    folder: Path
    report_json: Path
    report_md: Path
    report_html: Path
    best: Path  # the exported, verified model: model.keras, saved_model/, metrics.json, inputs.json
    model: Path
    saved_model: Path
    tensorboard: Path
    logs: Path  # Ray's and TensorFlow's lines: driver.log

    @classmethod
    def of(cls, folder: Path) -> "ExperimentPaths":
        from orchestrator.driver.logfile import LOGS_DIR
        from orchestrator.results.export_check import SAVED_MODEL_DIR
        from orchestrator.train.checkpoint import MODEL_FILE

        best = folder / experiments.BEST_DIR
        return cls(folder, folder / experiments.REPORT, folder / "report.md", folder / "report.html", best,
                   best / MODEL_FILE, best / SAVED_MODEL_DIR, folder / experiments.BOARD_DIR, folder / LOGS_DIR)


@dataclass(frozen=True)
class Experiment:
    """One experiment: its trials and variants as DataFrames, the diagnosis, the held-out metrics of
    the winner, its model (loaded on first use) and its paths.

        exp = orchestrator.load("quickstart-20250101-120000-0042")
        exp.trials.sort_values("val_loss")     # one row per trial
        exp.findings[0]["sentence"]            # the worst finding first
        exp.predict(new_rows)                  # class probabilities from best/model.keras
    """

    folder: Path
    report: dict | None = field(repr=False, compare=False)  # report.json; None before the evaluation wrote it
    seconds: float | None = None  # how long the launch took, for a launch of this process

    @classmethod
    def read(cls, folder: Path) -> "Experiment":
        """The experiment in `folder` as its files say now (report.json upgraded to the current schema)."""
        from orchestrator.report.contract import read_report

        return cls(Path(folder), read_report(folder))

    @property
    def manifest(self) -> dict:
        """manifest.json as it is now: status, phase, data description, resources, versions."""
        return experiments.read_manifest(self.folder)

    @property
    def status(self) -> str:
        """finished, failed, interrupted or running (a running launch whose process is gone reads interrupted)."""
        return experiments.effective_status(self.manifest)

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def paths(self) -> ExperimentPaths:
        return ExperimentPaths.of(self.folder)

    def _reported(self) -> dict:
        if self.report is None:
            hint = f"orchestrator.resume({self.name!r}) continues it" if self.status == "interrupted" else "see manifest.json"
            raise ExperimentError(f"experiment '{self.name}' has no report yet (status: {self.status})", hint)
        return self.report

    @property
    def trials(self):
        """One row per trial (index: trial id): variant, status, epochs, its last validation metrics,
        its hyperparameters (one column each) and its error, as report.json's `all_trials` holds them."""
        import pandas as pd

        rows = [{"trial_id": t["trial_id"], "variant": t["variant"], "status": t["status"], "epochs": t["epochs"],
                 **{k: v for k, v in t.items() if k.startswith("val_")}, **(t.get("hparams") or {}), "error": t.get("error")}
                for t in self._reported().get("all_trials") or []]
        return pd.DataFrame(rows, columns=None if rows else ["trial_id"]).set_index("trial_id")

    @property
    def variants(self):
        """One row per variant (index: variant): the trial chosen for it on validation, its train,
        validation and held-out test metrics, the train − test accuracy gap and the diagnosis' verdict."""
        import pandas as pd

        report = self._reported()
        verdicts = {v.get("variant"): v.get("verdict") for v in (report.get("diagnosis") or {}).get("verdicts") or []
                    if isinstance(v, dict)}
        rows = [{"variant": v["variant"], "trial_id": v["trial_id"], "status": v["status"], "epochs": v["epochs"],
                 **{split + "_" + m: (v.get(split) or {}).get(m) for split in ("train", "val", "test") for m in VARIANT_METRICS},
                 "gap_train_test": (v.get("gap") or {}).get("accuracy_train_test"), "verdict": verdicts.get(v["variant"])}
                for v in report.get("variants") or []]
        return pd.DataFrame(rows, columns=None if rows else ["variant"]).set_index("variant")

    @property
    def diagnosis(self) -> dict:
        """report.json's `diagnosis`: verdicts, baselines, capacity, learning curve, findings, summary."""
        return self._reported().get("diagnosis") or {}

    @property
    def findings(self) -> list[dict]:
        """The diagnosis' findings, worst first: `{kind, tier, sentence}` each."""
        return list(self.diagnosis.get("findings") or [])

    @property
    def best(self) -> dict | None:
        """report.json's `best`: the winner chosen on validation (variant, trial_id, hparams, metrics), or None."""
        return self._reported().get("best")

    @property
    def test_metrics(self) -> dict:
        """The winner's held-out test metrics (accuracy, F1, loss, per class…), measured once."""
        if self.best is None:
            raise ExperimentError(f"experiment '{self.name}' has no winner: no trial produced a usable model",
                                  "see exp.trials['error']")
        return self.best["test"]

    @functools.cached_property
    def model(self):
        """best/model.keras, loaded in Keras' safe mode on first use (compiled: no)."""
        from orchestrator.results.new_data import verified_export
        from orchestrator.train.checkpoint import load_model
        from orchestrator.train.distribute import prepare_driver

        best = verified_export(self.folder, self.name)
        prepare_driver()
        return load_model(best, compile=False)

    def inputs(self, frame):
        """What the exported model takes for the rows of `frame` (a DataFrame with the training
        columns; others are ignored): named raw columns for a table gg-train encoded, else the
        feature matrix in training order."""
        from orchestrator.data.table import raw_inputs
        from orchestrator.results.new_data import complete_numbers

        described = self.manifest.get("data") or {}
        if described.get("kind") == "images":
            raise ExperimentError(f"experiment '{self.name}' was trained on images, not a table",
                                  "pass image arrays to exp.model.predict")
        if described.get("encoding"):
            return raw_inputs(frame, described["encoding"])
        return complete_numbers(frame, described["feature_names"], "the rows given")

    def predict(self, frame):
        """Class probabilities for the rows of `frame` from the exported model, in inference mode:
        a DataFrame with one column per class name, indexed like `frame`."""
        import pandas as pd

        from orchestrator.models.outputs import predict_proba

        proba = predict_proba(self.model, self.inputs(frame))
        return pd.DataFrame(proba, index=frame.index, columns=self.manifest["data"]["class_names"])

    def __str__(self) -> str:
        best = (self.report or {}).get("best")
        result = (f"best {best['variant']}, test accuracy {best['test']['accuracy']:.3f}" if best
                  else "no winner" if self.report else "no report yet")
        return f"experiment {self.name} ({self.status}): {result}; {self.folder}"
