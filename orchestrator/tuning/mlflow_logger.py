"""Ray Tune's `MLflowLoggerCallback` as gg-train uses it (`tuning/mlflow_trials.py` says what it logs
and why). Its own module because Ray's imports mlflow whenever it is installed: a launch without
`--mlflow` never imports this one.
"""

from __future__ import annotations

import time

from ray.air.integrations.mlflow import MLflowLoggerCallback

from orchestrator.tuning.mlflow_trials import trial_run


class TrialRuns(MLflowLoggerCallback):
    """Ray's MLflow logger, with one batch per result at the epoch's step and resumed trials' runs reused."""

    def log_trial_start(self, trial) -> None:
        earlier = None if trial in self._trial_runs else trial_run(self._client(), self.mlflow_util.experiment_id, str(trial))
        if earlier is not None:  # a trial `gg-train resume` continues: its run goes on
            self._trial_runs[trial] = earlier
        super().log_trial_start(trial)

    def log_trial_result(self, iteration: int, trial, result: dict) -> None:
        from mlflow.entities import Metric

        step, now = int(result.get("epoch") or result["training_iteration"]), int(time.time() * 1000)
        metrics = [Metric(key, float(value), now, step) for key, value in result.items()
                   if isinstance(value, (int, float)) and not isinstance(value, bool)]
        self._client().log_batch(self._trial_runs[trial], metrics=metrics)

    def _client(self):
        import mlflow

        return mlflow.MlflowClient()  # at the tracking URI that `setup` set
