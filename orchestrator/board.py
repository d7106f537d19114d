"""TensorBoard: one run per trial, an HParams view of the variants, and a loopback-only server.

Layout under `runs/<name>/tensorboard/`: the HParams config at the root (written once by the
driver), and per trial a run `<variant>_<trial id>` with `train/` and `validation/` scalars per
epoch, the train/validation gap as its own curves (`gap/accuracy`, `gap/loss`: overfitting shows as
a rising line), the selection metric and the learning rate. The trial writes its hparams when it
starts, so trials that ASHA stops or that error still appear; the driver adds, when the experiment
ends, each trial's status and epochs run, and the test metrics of the evaluated checkpoints. Tune's
own tensorboardX logger is off, so there is exactly one HParams session per trial.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from orchestrator.config import ExperimentConfig, domain_values

BOARD_DIR = "tensorboard"
STATUS_METRICS = ("epochs_run", "stopped_by_asha", "early_stopped", "errored", "diverged")
TEST_METRICS = ("accuracy", "loss", "f1", "recall", "precision")


def hparam_values(hparams: dict[str, Any], variant: str) -> dict[str, Any]:
    """The trial's hyperparameters as HParams-friendly scalars (lists become readable strings)."""
    dropout = hparams.get("dropout", 0.0)
    rates = dropout if isinstance(dropout, (list, tuple)) else [dropout]
    return {
        "variant": variant,
        "learning_rate": float(hparams.get("learning_rate", 0.0)),
        "l2": float(hparams.get("l2", 0.0)),
        "dropout": float(max(rates)),
        "hidden": "-".join(str(int(u)) for u in hparams.get("hidden", [])),
    }


def _metrics():
    from tensorboard.plugins.hparams import api as hp

    metrics = [hp.Metric("loss", group="validation", display_name="val loss"),
               hp.Metric("accuracy", group="validation", display_name="val accuracy"),
               hp.Metric("loss", group="train", display_name="train loss"),
               hp.Metric("accuracy", group="train", display_name="train accuracy"),
               hp.Metric("gap/accuracy", display_name="gap (train − val accuracy)")]
    metrics += [hp.Metric(f"test/{m}", display_name=f"test {m}") for m in TEST_METRICS]
    metrics += [hp.Metric(m, display_name=m.replace("_", " ")) for m in STATUS_METRICS]
    return metrics


def write_hparams_config(board_root: Path, config: ExperimentConfig) -> None:
    """The experiment-level HParams config: every tuned hyperparameter with its domain."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    from orchestrator.variants import resolve_params

    seen: dict[str, list] = {}
    for variant in config.variants:
        for name, value in resolve_params(variant, config).items():
            seen.setdefault(name, []).extend(domain_values(value))
    numbers = {k: [float(max(v) if isinstance(v, list) else v) for v in vals] for k, vals in seen.items() if k in ("learning_rate", "l2", "dropout")}
    hparams = [hp.HParam("variant", hp.Discrete([v.label for v in config.variants]))]
    hparams += [hp.HParam(k, hp.RealInterval(min(v), max(v) if max(v) > min(v) else min(v) + 1e-12)) for k, v in numbers.items()]
    # Five columns: TensorBoard's table shows the first five hparams by default, and these answer
    # "which regularization works"; batch size and patience are in each trial's params.json.
    hparams += [hp.HParam("hidden", hp.Discrete(sorted({"-".join(map(str, h)) for h in seen["hidden"]})))]
    board_root.mkdir(parents=True, exist_ok=True)
    with tf.summary.create_file_writer(str(board_root)).as_default():
        hp.hparams_config(hparams=hparams, metrics=_metrics())


class TrialBoard:
    """Per-epoch TensorBoard scalars for one trial (used from trial.py's epoch callback)."""

    def __init__(self, run_dir: Path, hparams: dict[str, Any], variant: str, trial_id: str, histograms: bool = False):
        import tensorflow as tf
        from tensorboard.plugins.hparams import api as hp

        self.tf, self.histograms = tf, histograms
        self.writers = {k: tf.summary.create_file_writer(str(run_dir / k)) for k in ("train", "validation")}
        self.root = tf.summary.create_file_writer(str(run_dir))
        with self.root.as_default():
            hp.hparams(hparam_values(hparams, variant), trial_id=trial_id)
        self.root.flush()

    def log_epoch(self, epoch: int, metrics: dict, learning_rate: float, model=None, selection: str = "val_loss") -> None:
        tf = self.tf
        with self.writers["train"].as_default():
            tf.summary.scalar("loss", metrics["loss"], step=epoch)
            tf.summary.scalar("accuracy", metrics["accuracy"], step=epoch)
            tf.summary.scalar("learning_rate", learning_rate, step=epoch)
        with self.writers["validation"].as_default():
            tf.summary.scalar("loss", metrics["val_loss"], step=epoch)
            tf.summary.scalar("accuracy", metrics["val_accuracy"], step=epoch)
        with self.root.as_default():
            tf.summary.scalar("gap/accuracy", metrics["accuracy"] - metrics["val_accuracy"], step=epoch)
            tf.summary.scalar("gap/loss", metrics["val_loss"] - metrics["loss"], step=epoch)
            tf.summary.scalar(f"selection/{selection}", metrics[selection], step=epoch)
            if self.histograms and model is not None:
                for weight in model.weights:
                    tf.summary.histogram(weight.path, weight.numpy(), step=epoch)
        for writer in (*self.writers.values(), self.root):
            writer.flush()


def log_outcomes(board_root: Path, outcomes, evaluated: dict) -> None:
    """When the experiment ends: each trial's status, and test metrics of the evaluated checkpoints."""
    import tensorflow as tf

    tested = {ev.outcome.trial_id: ev.test for ev in evaluated.values()}
    for o in outcomes:
        run = board_root / f"{o.variant}_{o.trial_id}"
        status = {"epochs_run": o.epochs, "stopped_by_asha": o.status == "stopped_early",
                  "early_stopped": o.status == "early_stopping", "errored": o.status == "errored", "diverged": o.status == "diverged"}
        writer = tf.summary.create_file_writer(str(run))
        with writer.as_default():
            for name, value in status.items():
                tf.summary.scalar(name, float(value), step=max(o.epochs, 0))
            for name in TEST_METRICS if o.trial_id in tested else ():
                value = tested[o.trial_id].get(name)
                if value is not None and math.isfinite(value):
                    tf.summary.scalar(f"test/{name}", value, step=max(o.epochs, 0))
        writer.close()


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(board_root: Path, port: int | None = None) -> str:
    """Start TensorBoard on 127.0.0.1 only (it has no authentication) in background threads; returns its URL."""
    from orchestrator.distribute import prepare_driver
    from orchestrator.errors import GGError

    prepare_driver()
    from tensorboard import program

    board = program.TensorBoard()
    chosen = port or free_port()
    board.configure(argv=[None, "--logdir", str(board_root), "--host", "127.0.0.1", "--port", str(chosen), "--reload_interval", "5"])
    try:
        return board.launch()
    except program.TensorBoardServerException as exc:
        raise GGError(f"TensorBoard could not start on 127.0.0.1:{chosen}: {exc.msg}", "pick another --port, or leave it out for a free one") from None
