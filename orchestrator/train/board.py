"""The per-trial TensorBoard writer, run inside the trial's worker.

Per trial a run `<variant>_<trial id>` (`names.trial_name`) with `train/` and `validation/` scalars
per epoch, the train/validation gap as its own curves (`gap/accuracy`, `gap/loss`: overfitting shows
as a rising line), the selection metric and the learning rate. The trial writes its hparams when it
starts, so trials that ASHA stops or that error still appear. The experiment-level HParams config,
the end-of-run status and test scalars, and the server are the driver's (`report.tensorboard`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


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


class TrialBoard:
    """Per-epoch TensorBoard scalars for one trial (used from `train.loop`'s epoch callback)."""

    def __init__(self, run_dir: Path, hparams: dict[str, Any], variant: str, trial_id: str, histograms: bool = False,
                 history: list[dict] = (), selection: str = "val_loss"):
        """`history`: the epochs a trial restarted from its checkpoint had already trained. Its run
        is rewritten from them, so a retry leaves one HParams session and one point per epoch, even
        for an epoch the dead attempt logged but never checkpointed (weight histograms of the
        epochs before the restart are not rewritten)."""
        import tensorflow as tf
        from tensorboard.plugins.hparams import api as hp

        # A run folder belongs to one trial: whatever a dead attempt left in it is rewritten below.
        for events in [*run_dir.glob("events.out.tfevents*"), *run_dir.glob("*/events.out.tfevents*")]:
            events.unlink()
        self.tf, self.histograms, self.selection = tf, histograms, selection
        self.writers = {k: tf.summary.create_file_writer(str(run_dir / k)) for k in ("train", "validation")}
        self.root = tf.summary.create_file_writer(str(run_dir))
        with self.root.as_default():
            hp.hparams(hparam_values(hparams, variant), trial_id=trial_id)
        for metrics in history:
            self.log_epoch(int(metrics["epoch"]), metrics)
        self.root.flush()

    def log_epoch(self, epoch: int, metrics: dict, model=None) -> None:
        """One epoch's scalars (and weight histograms, when asked and `model` is given)."""
        tf = self.tf
        with self.writers["train"].as_default():
            tf.summary.scalar("loss", metrics["loss"], step=epoch)
            tf.summary.scalar("accuracy", metrics["accuracy"], step=epoch)
            if "learning_rate" in metrics:
                tf.summary.scalar("learning_rate", metrics["learning_rate"], step=epoch)
        with self.writers["validation"].as_default():
            tf.summary.scalar("loss", metrics["val_loss"], step=epoch)
            tf.summary.scalar("accuracy", metrics["val_accuracy"], step=epoch)
        with self.root.as_default():
            tf.summary.scalar("gap/accuracy", metrics["accuracy"] - metrics["val_accuracy"], step=epoch)
            tf.summary.scalar("gap/loss", metrics["val_loss"] - metrics["loss"], step=epoch)
            if self.selection in metrics:
                tf.summary.scalar(f"selection/{self.selection}", metrics[self.selection], step=epoch)
            if self.histograms and model is not None:
                for weight in model.weights:
                    tf.summary.histogram(weight.path, weight.numpy(), step=epoch)
        for writer in (*self.writers.values(), self.root):
            writer.flush()

    def close(self) -> None:
        """Release the event files (a reused worker opens new ones for its next trial)."""
        for writer in (*self.writers.values(), self.root):
            writer.close()
