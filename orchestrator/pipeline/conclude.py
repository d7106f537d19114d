"""After the trials: the held-out evaluation, the diagnosis, the export and its proof, the report.

In two halves, so that the driver's work runs inside a wait (`background.in_background`). `evaluate`
needs only the trials, so a launch runs it while the learning curve's retrains train in Ray
workers; `finish` adds what needs the curve (its points, the capacity ladder), diagnoses, writes
report.json, exports and proves the model, and renders the report with the export's result.
The report is the one the sequential order gave: the same numbers, the same keys in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.folder import experiments, phases
from orchestrator.config import ExperimentConfig
from orchestrator.data import Dataset
from orchestrator.errors import ExportError
from orchestrator.folder.experiments import BOARD_DIR
from orchestrator.models.variants import selection


@dataclass
class Evaluation:
    """What the trials alone decide: report.json so far, and the chosen variant's evaluation."""

    built: dict
    best: object | None  # results.evaluation.Evaluated
    later: dict = field(default_factory=dict)  # comparisons, references: placed after the curve's keys, as always


def evaluate(config: ExperimentConfig, dataset: Dataset, exp_dir: Path, outcomes, checks: list[dict]) -> Evaluation:
    """The chosen checkpoints in inference mode on train, validation and test (once), the check that
    needs the chosen model, the TensorBoard summary, the references: nothing here reads the curve."""
    from orchestrator.report import contract
    from orchestrator.results import evaluation, references, significance

    metric, mode = selection(config)
    outcomes = [evaluation.handed_over(o) for o in outcomes]  # ASHA-stopped early stopping: its best epoch
    evaluated, best, confusion = evaluation.evaluate(outcomes, dataset, metric, mode)
    checks = [c for c in checks if c.get("name") != "uninformative_features"]
    if best is not None:  # a data check that needs the chosen model: which columns it does not use
        checks.append(evaluation.feature_use(best, dataset, config.seed))
    if config.output.tensorboard:
        from orchestrator.report.tensorboard import log_outcomes

        log_outcomes(exp_dir / BOARD_DIR, outcomes, evaluated)
    built = contract.build(
        name=exp_dir.name, exp_dir=exp_dir, dataset=dataset, metric=metric, mode=mode, outcomes=outcomes,
        evaluated=evaluated, best=best, confusion=confusion, variant_order=[v.label for v in config.variants], checks=checks,
        model=experiments.read_manifest(exp_dir).get("model"),
    )
    reference = significance.reference([{"variant": n, "kind": ev.outcome.kind, "hparams": ev.outcome.hparams}
                                        for n, ev in evaluated.items()])
    tested = {name: ev.test_correct for name, ev in evaluated.items()}
    later = {"comparisons": significance.against_reference(tested, reference)}
    later["references"] = references.evaluate_references(dataset, built, tested)  # train → val → test once, like the trials
    return Evaluation(built, best, later)


def finish(dataset: Dataset, exp_dir: Path, evaluated: Evaluation, curve=(), checker=None) -> dict:
    """The curve's points and the ladder (validation only), the diagnosis, report.json, then the
    export and its proof, and the report pages last, with the export's result."""
    from orchestrator.report import contract
    from orchestrator.results import evaluation
    from orchestrator.results.diagnosis import diagnose
    from orchestrator.results.export import export_and_verify

    built, best = evaluated.built, evaluated.best
    if best is not None and curve:
        built["learning_curve"] = evaluation.evaluate_curve(list(curve), dataset, best, seen := {})  # seen: val scores by trial
        built.update(evaluation.evaluate_ladder(list(curve), dataset, best, seen))
    built.update(evaluated.later)
    built["diagnosis"] = diagnose(built)
    contract.write(exp_dir, built)  # the finished evaluation is kept whatever the export does
    if best is not None:
        phases.enter(phases.EXPORT, exp_dir)
        try:
            built["export"] = export_and_verify(exp_dir, best, dataset.test.x, checker, dataset.encoding, dataset.raw_test)
        except ExportError as err:
            built["export"] = {"verified": False, "error": err.one_line(), "kept_at": f"{experiments.BEST_DIR}.unverified"}
            _report(exp_dir, built)
            raise
    phases.enter(phases.REPORT, exp_dir)
    _report(exp_dir, built)
    return built


def _report(exp_dir: Path, built: dict) -> None:
    """report.json, then the plots, report.md and report.html, which carry the export's result.

    Not drawn during the export's proof, though nothing drawn shows the export: the report phase
    would then be a few milliseconds of writes, too short for tests/integration/test_disk_full.py to
    fill the disk inside it (it polls every 10 ms). Rendering costs 0.8-2.5 s of a launch (bench phases)."""
    from orchestrator.report import contract
    from orchestrator.report.render import render

    contract.write(exp_dir, built)
    render(built, exp_dir)
