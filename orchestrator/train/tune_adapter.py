"""The one door between Ray and the trial loop, and the only module in `train/` that imports Ray:
the function trainable Tune runs, with a `Reporter` over Tune's session API; and, for a trial that
spans several workers (`TrialSetup.workers`), the Ray Train run that trainable starts instead.

A multi-worker trial is a Tune trial whose actor takes next to nothing and starts a Ray Train V2
`TensorflowTrainer` of W workers (spread over nodes); each worker runs the same `run_trial` under
`MultiWorkerMirroredStrategy` (Keras' `fit` does not work there, keras-team/keras#20585; the loop
does not use it) and reports through Train. A callback in Train's controller hands rank 0's report
and checkpoint to the trial through a queue of one, and the trial reports them to Tune, so ASHA,
checkpoints and the results see one trial as for a single worker. The trial writes the TensorBoard
run from those reports. A restarted trial starts a Train run of the same name in the same storage,
which resumes from Train's own latest checkpoint. When Tune ends a trial (ASHA, or its last epoch)
Train's controller dies with it and cannot free its placement group: `tuning.run.TrainGroupCleanup`
removes it on the driver, from the id each report carries (`train_pg`)."""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ray import tune

from orchestrator.names import trial_name
from orchestrator.train.loop import run_trial, trial_board
from orchestrator.train.spec import TrialData, TrialSetup, TrialSpec


@contextmanager
def _as_folder(found) -> Iterator[Path | None]:
    """A Ray checkpoint (or None) as a local folder for `run_trial`'s restore."""
    if found is None:
        yield None
        return
    with found.as_directory() as directory:
        yield Path(directory)


class TuneReporter:
    """`Reporter` over Ray Tune's session API."""

    def restore_dir(self):
        return _as_folder(tune.get_checkpoint())

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
    if setup.workers > 1:
        _multi_worker_trial(config, setup, data)
        return
    run_trial(TrialSpec.from_config(config), setup, data, TuneReporter())


class TrainReporter:
    """`Reporter` inside one Ray Train worker: every rank reports (Train's report is a barrier),
    rank 0 alone hands over its checkpoint; each report names the worker's node and placement group."""

    def __init__(self, trial_id: str) -> None:
        self._trial_id = trial_id

    def restore_dir(self):
        import ray.train

        return _as_folder(ray.train.get_checkpoint())  # this Train run's latest, on every rank (a restarted trial)

    def report(self, metrics: dict, checkpoint_dir: Path | None) -> None:
        import ray
        import ray.train

        rank = ray.train.get_context().get_world_rank()
        metrics = {**metrics, "rank": rank, "node_id": ray.get_runtime_context().get_node_id(), "worker_pid": os.getpid(),
                   "train_pg": ray.util.get_current_placement_group().id.hex()}  # Tune's own "pid" is the trial actor's
        ray.train.report(metrics, checkpoint=ray.train.Checkpoint.from_directory(str(checkpoint_dir))
                         if checkpoint_dir is not None and rank == 0 else None)

    def trial_id(self) -> str:
        return self._trial_id


def _train_worker(loop_config: dict) -> None:
    """One Train worker: the trial loop under MultiWorkerMirroredStrategy."""
    os.environ.pop("TF_USE_LEGACY_KERAS", None)  # TensorflowTrainer sets it; gg-train trains with Keras 3
    import ray

    run_trial(TrialSpec.from_config(loop_config["config"]), loop_config["setup"], ray.get(loop_config["data"]),
              TrainReporter(loop_config["trial_id"]))


def _trainer(config: dict, setup: TrialSetup, data_ref, trial_id: str, reports):
    import ray.train
    from ray.train import UserCallback
    from ray.train.tensorflow import TensorflowTrainer

    class Forward(UserCallback):
        """In Train's controller: rank 0's report (with every worker's node) and checkpoint to the trial."""

        def after_report(self, run_context, metrics, checkpoint):
            reports.put(({**metrics[0], "worker_nodes": ",".join(m["node_id"] for m in metrics)}, checkpoint))

    class Trainer(TensorflowTrainer):
        def _create_default_callbacks(self):
            # Train's detached placement-group cleaner needs Ray's state API (ray[default] and a
            # dashboard); without it, it outlives every trial Tune ends. The driver cleans instead.
            return [c for c in super()._create_default_callbacks() if type(c).__name__ != "PlacementGroupCleanerCallback"]

    # The trial writes TensorBoard; every epoch is reported: Train's report is a barrier all ranks must reach alike.
    worker_setup = dataclasses.replace(setup, board_root=None, board_in_trial=False, report_seconds=0.0)
    return Trainer(
        _train_worker, train_loop_config={"config": config, "setup": worker_setup, "data": data_ref, "trial_id": trial_id},
        scaling_config=ray.train.ScalingConfig(num_workers=setup.workers, use_gpu=setup.gpus > 0, placement_strategy="SPREAD",
                                               resources_per_worker={"CPU": setup.cpus, **({"GPU": setup.gpus} if setup.gpus else {})}),
        run_config=ray.train.RunConfig(name=trial_name(config["variant"], trial_id), storage_path=setup.train_storage,
                                       callbacks=[Forward()], checkpoint_config=ray.train.CheckpointConfig(num_to_keep=2),
                                       failure_config=ray.train.FailureConfig(max_failures=0)))


def _forwarded(reports, fitting):
    """The reports Train's controller forwards, until the Train run has ended and none is left."""
    from ray.util.queue import Empty

    while True:
        try:
            yield reports.get(timeout=0.5)
        except Empty:
            if fitting.done() and reports.empty():
                return


def _multi_worker_trial(config: dict, setup: TrialSetup, data: TrialData) -> None:
    import ray
    from ray.util.queue import Queue

    from orchestrator.train.checkpoint import load_state

    reporter, spec = TuneReporter(), TrialSpec.from_config(config)
    with reporter.restore_dir() as restore:
        history = load_state(restore).history if restore is not None else []
    board = trial_board(spec, setup, reporter, history)
    reports = Queue(maxsize=1, actor_options={"num_cpus": 0})  # Train waits for the trial's report to Tune
    trainer = _trainer(config, setup, ray.put(data), reporter.trial_id(), reports)
    pool = ThreadPoolExecutor(1)
    try:
        fitting = pool.submit(trainer.fit)
        for metrics, checkpoint in _forwarded(reports, fitting):
            if board is not None:  # before the report: Tune may end the trial inside it
                board.log_epoch(int(metrics["epoch"]), metrics)
            tune.report(metrics, checkpoint=tune.Checkpoint(checkpoint.path, checkpoint.filesystem) if checkpoint else None)
        fitting.result()  # a failed Train run errors the trial, which Tune retries
    finally:
        pool.shutdown(wait=False)
        if board is not None:
            board.close()
