"""From the devices a trial was given to a `tf.distribute` strategy; the only module that touches devices.

Ray sets `CUDA_VISIBLE_DEVICES` for GPU trials but leaves it alone for 0-GPU trials, so a CPU trial
on a GPU host would otherwise see (and grab memory on) every GPU: CPU trials hide them. GPU memory
growth is switched on before any op so trials sharing a card do not starve each other, and the
thread pools are sized to the CPUs Ray reserved for the trial (TF ignores OMP_NUM_THREADS).
"""

from __future__ import annotations

import math
import os

from orchestrator.native_stderr import native_stderr_muted


def prepare_driver() -> None:
    """Start TensorFlow quietly in the driver (evaluation, export) with GPU memory growth on."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with native_stderr_muted():
        import tensorflow as tf

        try:
            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass  # already initialized in this process


def configure_process(cpus: float, gpus: int, cpu_replicas: int = 1) -> None:
    """Call first in a trial, before any TensorFlow op.

    `cpu_replicas` ≥ 2 splits the CPU into that many logical devices so the MirroredStrategy path
    (the one multi-GPU trials take) runs on a laptop and in CI: the same code, not a simulation.
    """
    if gpus == 0:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with native_stderr_muted():
        import tensorflow as tf

    threads = max(1, math.floor(cpus))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(max(1, min(2, threads)))
        if gpus == 0:
            tf.config.set_visible_devices([], "GPU")
            if cpu_replicas > 1:
                cpu = tf.config.list_physical_devices("CPU")[0]
                tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_replicas)
        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError:
        # TensorFlow was already initialized in this process (a reused worker): settings are fixed.
        pass


def plan_strategy(gpus: int, cpu_replicas: int, gpu_devices: list[str], cpu_devices: list[str]) -> tuple[str, list[str]]:
    """Which strategy over which devices, from the device names TensorFlow lists (pure, testable).

    k ≥ 2 GPUs → MirroredStrategy over all k; 1 GPU → OneDeviceStrategy on it; no GPU → the
    default strategy on the CPU, or MirroredStrategy over `cpu_replicas` logical CPUs.
    """
    if gpus > 0:
        if len(gpu_devices) < gpus:
            raise RuntimeError(f"this trial was given {gpus} GPU(s) but TensorFlow sees {len(gpu_devices)}: {gpu_devices}")
        chosen = gpu_devices[:gpus]
        return ("MirroredStrategy", chosen) if gpus > 1 else ("OneDeviceStrategy", chosen)
    if cpu_replicas > 1:
        if len(cpu_devices) < cpu_replicas:
            raise RuntimeError(f"{cpu_replicas} CPU replicas asked for but TensorFlow has {len(cpu_devices)} logical CPUs "
                               "(the process had started TensorFlow before the trial could split the CPU)")
        return "MirroredStrategy", cpu_devices[:cpu_replicas]
    return "DefaultStrategy", cpu_devices[:1]


def make_strategy(gpus: int, cpu_replicas: int = 1):
    import tensorflow as tf

    kind, devices = plan_strategy(
        gpus, cpu_replicas,
        [d.name for d in tf.config.list_logical_devices("GPU")],
        [d.name for d in tf.config.list_logical_devices("CPU")],
    )
    if kind == "MirroredStrategy":
        # On CPU devices NCCL is unavailable; the reduction over host memory is the right one there.
        ops = tf.distribute.ReductionToOneDevice() if gpus == 0 else None
        return tf.distribute.MirroredStrategy(devices, cross_device_ops=ops)
    if kind == "OneDeviceStrategy":
        return tf.distribute.OneDeviceStrategy(devices[0])
    return tf.distribute.get_strategy()


def set_precision(policy: str, gpus: int) -> str:
    """Keras' global dtype policy for this trial: mixed precision only where it pays, on GPUs."""
    import keras

    chosen = policy if (policy != "float32" and gpus > 0) else "float32"
    keras.mixed_precision.set_global_policy(chosen)
    return chosen


def describe(strategy) -> dict:
    """What ran where, for the trial's results."""
    try:
        devices = list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy has no device list: it is this process's CPU
        devices = []
    return {
        "strategy": type(strategy).__name__.lstrip("_").replace("DefaultDistributionStrategy", "DefaultStrategy"),
        "replicas": int(strategy.num_replicas_in_sync),
        "devices": devices or ["/cpu:0"],
    }
