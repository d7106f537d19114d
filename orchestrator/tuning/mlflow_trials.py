"""Every trial in MLflow (`output.mlflow`) through Ray Tune's own logger, `MLflowLoggerCallback`:
it makes one run per trial in the experiment named after the gg-train experiment, named and tagged
(`trial_name`) with the trial's name, with the trial's Tune config as parameters, and ends it
FINISHED or FAILED with the trial. `report/tracking.py` finds the winner's run by that tag.

Two things differ from Ray's callback, each for a reason of gg-train's:
- a result's metrics go in one `log_batch` request at the step of the trial's epoch, where Ray's
  sends one request per key (two dozen per report, each a round trip on the driver's event loop)
  at Tune's iteration count;
- a trial resumed by `gg-train resume` continues the run it had (found by its tag), so a trial is
  one run however often it was interrupted. The epochs replayed from its last checkpoint are
  logged again at the same steps.

The learning curve's retrains are logged too, in the same MLflow experiment, tagged
`gg_train.stage = learning_curve` (the variants' trials: `search`): they are trainings with
curves of their own, and the tag keeps them out of a comparison of the variants.
"""

from __future__ import annotations

from orchestrator.config import ExperimentConfig
from orchestrator.experiments import CURVE_DIR
from orchestrator.report import tracking
from orchestrator.tuning.storage import TuneFolder


def callbacks(config: ExperimentConfig, folder: TuneFolder) -> list:
    """The MLflow logger for a Tune run (the variants' trials or the learning curve's), or none."""
    if config.output.mlflow is None:
        return []
    from orchestrator.tuning.mlflow_logger import TrialRuns  # Ray's MLflow module imports mlflow: only with a URI

    stage = "learning_curve" if folder.name == CURVE_DIR else "search"
    return [TrialRuns(config.output.mlflow, experiment_name=tracking.experiment_name(folder.exp_dir),
                      tags={tracking.STAGE_TAG: stage})]
