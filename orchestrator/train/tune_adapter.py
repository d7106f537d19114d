"""The one door between Ray Tune and the trial loop: a `Reporter` over Tune's session API, and the
function trainable Tune runs. The only module in `train/` that imports Ray."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ray import tune

from orchestrator.train.loop import run_trial
from orchestrator.train.spec import TrialData, TrialSetup, TrialSpec


class TuneReporter:
    """`Reporter` over Ray Tune's session API."""

    @contextmanager
    def restore_dir(self) -> Iterator[Path | None]:
        found = tune.get_checkpoint()
        if found is None:
            yield None
            return
        with found.as_directory() as directory:
            yield Path(directory)

    def report(self, metrics: dict, checkpoint_dir: Path | None) -> None:
        # The node it ran on (Tune adds its host and IP, which several nodes on one machine share).
        import ray

        metrics = {**metrics, "node_id": ray.get_runtime_context().get_node_id()}
        if checkpoint_dir is None:
            tune.report(metrics)
        else:
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(str(checkpoint_dir)))

    def trial_id(self) -> str:
        return tune.get_context().get_trial_id()

    def trial_dir(self) -> Path:
        """The trial's own folder (Tune syncs it to shared storage when the experiment has one)."""
        return Path(tune.get_context().get_trial_dir())


def tune_trainable(config: dict, setup: TrialSetup, data: TrialData) -> None:
    """The Tune function trainable; `setup` and `data` arrive through `tune.with_parameters`."""
    run_trial(TrialSpec.from_config(config), setup, data, TuneReporter())
