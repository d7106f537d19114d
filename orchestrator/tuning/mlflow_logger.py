"""Ray Tune's `MLflowLoggerCallback` as gg-train uses it (`tuning/mlflow_trials.py` says what it logs
and why). Its own module because Ray's imports mlflow whenever it is installed: a launch without
`--mlflow` never imports this one.
"""

from __future__ import annotations

import time

from ray.air.integrations.mlflow import MLflowLoggerCallback

from orchestrator.tuning.epoch_rows import epoch_rows
from orchestrator.tuning.mlflow_trials import trial_run

BATCH = 1000  # MLflow's limit of metrics per log_batch request


class TrialRuns(MLflowLoggerCallback):
    """Ray's MLflow logger, with each epoch a report stands for at its own step (a trial of
    millisecond epochs reports several at once: `train.cadence`), in as few batches as MLflow
    takes, and resumed trials' runs reused."""

    def log_trial_start(self, trial) -> None:
        earlier = None if trial in self._trial_runs else trial_run(self._client(), self.mlflow_util.experiment_id, str(trial))
        if earlier is not None:  # a trial `gg-train resume` continues: its run goes on
            self._trial_runs[trial] = earlier
        super().log_trial_start(trial)

    def log_trial_result(self, iteration: int, trial, result: dict) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(key, float(value), now, int(row.get("epoch") or row["training_iteration"]))
                   for row in epoch_rows(result) for key, value in row.items()
                   if isinstance(value, (int, float)) and not isinstance(value, bool)]
        for start in range(0, len(metrics), BATCH):
            self._client().log_batch(self._trial_runs[trial], metrics=metrics[start:start + BATCH])

    def _client(self):
        import mlflow

        return mlflow.MlflowClient()  # at the tracking URI that `setup` set
