"""Every trial in MLflow (`output.mlflow`) through Ray Tune's own logger, `MLflowLoggerCallback`:
it makes one run per trial in the experiment named after the gg-train experiment, named and tagged
(`trial_name`) with the trial's name, with the trial's Tune config as parameters, and ends it
FINISHED or FAILED with the trial. `report/tracking.py` finds the winner's run by that tag. This
module holds the runs' names, tags and lookup and imports neither Ray nor mlflow; the logger is in
`mlflow_logger.py`, added to a Tune run by `callbacks.mlflow_runs`.

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

from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.folder.experiments import CURVE_DIR

if TYPE_CHECKING:
    from orchestrator.tuning.storage import TuneFolder

TRIAL_TAG = "trial_name"  # Ray's MLflowLoggerCallback tags each trial's run with the trial's name
STAGE_TAG = "gg_train.stage"  # "search" (the variants' trials) or "learning_curve" (the winner's retrains)


def stage(folder: "TuneFolder") -> str:
    """The stage a Tune run's trials are tagged with."""
    return "learning_curve" if folder.name == CURVE_DIR else "search"


def experiment_name(exp_dir: Path) -> str:
    """The MLflow experiment of a gg-train experiment: its name (the folder under the runs folder)."""
    return Path(exp_dir).name


def trial_run(client, experiment_id: str, trial: str) -> str | None:
    """The newest run tagged with a trial's name, if any."""
    runs = client.search_runs([experiment_id], f"tags.{TRIAL_TAG} = '{trial}'", order_by=["attributes.start_time DESC"], max_results=1)
    return runs[0].info.run_id if runs else None
