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


_FLUSH_MS = 2000  # the live view lags at most this; a trial's end flushes at once


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
        self.writers = {k: tf.summary.create_file_writer(str(run_dir / k), flush_millis=_FLUSH_MS) for k in ("train", "validation")}
        self.root = tf.summary.create_file_writer(str(run_dir), flush_millis=_FLUSH_MS)
        # the writers' resource handles: arguments of the one compiled scalar writer of the process
        self._handles = [w._resource for w in (self.writers["train"], self.writers["validation"], self.root)]
        with self.root.as_default():
            hp.hparams(hparam_values(hparams, variant), trial_id=trial_id)
        for metrics in history:
            self.log_epoch(int(metrics["epoch"]), metrics)
        self.root.flush()

    def log_epoch(self, epoch: int, metrics: dict, model=None) -> None:
        """One epoch's scalars (and weight histograms, when asked and `model` is given)."""
        tf = self.tf
        values = [metrics["loss"], metrics["accuracy"], metrics.get("learning_rate", float("nan")),
                  metrics["val_loss"], metrics["val_accuracy"], metrics.get(self.selection, float("nan"))]
        _scalar_writer(self.selection)(*self._handles, tf.constant(epoch, tf.int64), tf.constant(values, tf.float32))
        if self.histograms and model is not None:
            with self.root.as_default():
                for weight in model.weights:
                    tf.summary.histogram(weight.path, weight.numpy(), step=epoch)

    def close(self) -> None:
        """Flush and release the event files: when the trial ends, whether it finished or Tune
        stopped it inside a report (the loop's `finally`), and before a reused worker's next trial."""
        for writer in (*self.writers.values(), self.root):
            writer.close()


_SCALAR_WRITERS: dict[str, object] = {}


def _scalar_writer(selection: str):
    """One epoch's scalars in one compiled call (not one eager op per scalar), traced once per
    process and selection metric: the writers come in as resource handles, so a warm worker's next
    trial writes through the same trace (tracing it cost 0.05-0.3 s a trial)."""
    if selection in _SCALAR_WRITERS:
        return _SCALAR_WRITERS[selection]
    import tensorflow as tf
    from tensorboard.plugins.scalar.metadata import create_summary_metadata

    scalar = create_summary_metadata(display_name=None, description=None).SerializeToString()

    def write(train, validation, root, step, values):
        loss, accuracy, learning_rate, val_loss, val_accuracy, selected = tf.unstack(values)
        for writer, tag, value in ((train, "loss", loss), (train, "accuracy", accuracy), (train, "learning_rate", learning_rate),
                                   (validation, "loss", val_loss), (validation, "accuracy", val_accuracy),
                                   (root, "gap/accuracy", accuracy - val_accuracy), (root, "gap/loss", val_loss - loss),
                                   (root, f"selection/{selection}", selected)):
            tf.raw_ops.WriteSummary(writer=writer, step=step, tensor=value, tag=tag, summary_metadata=scalar)

    handle = tf.TensorSpec([], tf.resource)
    _SCALAR_WRITERS[selection] = tf.function(write, autograph=False, input_signature=[
        handle, handle, handle, tf.TensorSpec([], tf.int64), tf.TensorSpec([6], tf.float32)]).get_concrete_function()
    return _SCALAR_WRITERS[selection]  # its concrete function: called without matching arguments to a trace
