"""From the devices a trial was given to a `tf.distribute` strategy; the only module that touches devices.

Ray sets `CUDA_VISIBLE_DEVICES` for GPU trials but leaves it alone for 0-GPU trials, so a CPU trial
on a GPU host would otherwise see (and grab memory on) every GPU: CPU trials hide them. GPU memory
growth is switched on before any op so trials sharing a card do not starve each other, and the
thread pools are sized to the CPUs Ray reserved for the trial (TF ignores OMP_NUM_THREADS).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile


@contextlib.contextmanager
def _native_stderr_muted():
    """TensorFlow 2.21's C++ start-up notes (oneDNN, missing CUDA driver) ignore TF_CPP_MIN_LOG_LEVEL;
    send file descriptor 2 to a temp file while TF starts, and replay it if starting fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def prepare_driver() -> None:
    """Start TensorFlow quietly in the driver (evaluation, export) with GPU memory growth on."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _native_stderr_muted():
        import tensorflow as tf

        try:
            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass  # already initialized in this process


def configure_process(cpus: float, gpus: int) -> None:
    """Call first in a trial, before any TensorFlow op."""
    if gpus == 0:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    threads = max(1, math.floor(cpus))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(max(1, min(2, threads)))
        if gpus == 0:
            tf.config.set_visible_devices([], "GPU")
        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError:
        # TensorFlow was already initialized in this process (a reused worker): settings are fixed.
        pass


def make_strategy(gpus: int):
    """0 GPUs → the default (CPU) strategy; 1 → that GPU; k ≥ 2 → MirroredStrategy over all k."""
    import tensorflow as tf

    if gpus == 0:
        return tf.distribute.get_strategy()
    devices = tf.config.list_logical_devices("GPU")
    if not devices:
        raise RuntimeError(f"this trial was given {gpus} GPU(s) but TensorFlow sees none")
    if gpus == 1 or len(devices) == 1:
        return tf.distribute.OneDeviceStrategy(devices[0].name)
    return tf.distribute.MirroredStrategy([d.name for d in devices])


def describe(strategy) -> dict:
    """What ran where, for the trial's results."""
    try:
        devices = list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy has no device list: it is this process's CPU
        devices = []
    return {
        "strategy": type(strategy).__name__,
        "replicas": int(strategy.num_replicas_in_sync),
        "devices": devices or ["/cpu:0"],
    }
