"""From the devices a trial was given to a `tf.distribute` strategy; the only module that touches devices.

Ray sets `CUDA_VISIBLE_DEVICES` for GPU trials but leaves it alone for 0-GPU trials, so a CPU trial
on a GPU host would otherwise see (and grab memory on) every GPU: CPU trials hide them. GPU memory
growth is switched on before any op (a trial given a share of a GPU is capped to that share of
its memory instead) so trials sharing a card do not starve each other, and the
thread pools are sized to the CPUs Ray reserved for the trial (TF ignores OMP_NUM_THREADS).
"""

from __future__ import annotations

import math
import os

from orchestrator.driver.logfile import native_stderr_muted


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


CUDA_CONTEXT_MB = 600  # what the CUDA context and cuDNN take outside TensorFlow's allocator, per process
MIN_SHARE_MB = 256  # below this a share holds no useful model


def share_limit_mb(share: float, total_mb: float) -> int:
    """A packed trial's TensorFlow memory cap: its share of the GPU, less its own CUDA context."""
    limit = int(share * total_mb - CUDA_CONTEXT_MB)
    if limit < MIN_SHARE_MB:
        raise RuntimeError(f"--gpus-per-trial {share:g} of a {total_mb:.0f} MiB GPU leaves {limit} MiB for TensorFlow after the "
                           f"CUDA context ({CUDA_CONTEXT_MB} MiB); use a larger share (at least {math.ceil(100 * (MIN_SHARE_MB + CUDA_CONTEXT_MB) / total_mb) / 100:g})")
    return limit


def _gpu_total_mb() -> float | None:
    """The memory of the GPU Ray gave this process, from nvidia-smi, without initializing CUDA."""
    import subprocess

    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0] or "0"
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits", "-i", visible],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        return float(out.strip().splitlines()[0])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def _configure_gpus(tf, gpus: float) -> None:
    """Whole GPUs grow their memory as needed; a share of one is capped to that share, so the
    trials packed on a card cannot starve each other (memory growth alone lets the first take all)."""
    physical = tf.config.list_physical_devices("GPU")
    total = _gpu_total_mb() if physical and 0 < gpus < 1 else None
    for gpu in physical:
        if total is not None:
            tf.config.set_logical_device_configuration(gpu, [tf.config.LogicalDeviceConfiguration(memory_limit=share_limit_mb(gpus, total))])
        else:
            tf.config.experimental.set_memory_growth(gpu, True)


def configure_process(cpus: float, gpus: float, cpu_replicas: int = 1) -> None:
    """Call first in a trial, before any TensorFlow op.

    `cpu_replicas` ≥ 2 splits the CPU into that many logical devices so the MirroredStrategy path
    (the one multi-GPU trials take) runs on a laptop and in CI: the same code, not a simulation.
    """
    if gpus == 0:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Not muted: in a Ray worker descriptor 2 is the worker's log file in Ray's session logs, which
    # reaches the console only with --verbose (`tuning.cluster.connect`: log_to_driver).
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
        _configure_gpus(tf, gpus)
    except RuntimeError as exc:
        if "--gpus-per-trial" in str(exc):
            raise
        # TensorFlow was already initialized in this process (a reused worker): settings are fixed.


def plan_strategy(gpus: float, cpu_replicas: int, gpu_devices: list[str], cpu_devices: list[str]) -> tuple[str, list[str]]:
    """Which strategy over which devices, from the device names TensorFlow lists (pure, testable).

    k ≥ 2 GPUs → MirroredStrategy over all k; 1 GPU or a share of one → OneDeviceStrategy on it; no
    GPU → the default strategy on the CPU, or MirroredStrategy over `cpu_replicas` logical CPUs.
    """
    gpus = math.ceil(gpus)
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


def make_strategy(gpus: float, cpu_replicas: int = 1, workers: int = 1):
    """The trial's strategy; with several Ray Train workers, MultiWorkerMirroredStrategy over them
    (its cluster from the TF_CONFIG Ray sets in each worker), one replica per worker's devices."""
    import tensorflow as tf

    if workers > 1:
        return tf.distribute.MultiWorkerMirroredStrategy()
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


def set_precision(policy: str, gpus: float) -> str:
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


def gpu_peak_mb(devices: str) -> float | None:
    """The most GPU memory TensorFlow has held on this trial's GPUs (the largest device's peak, MiB),
    or None on CPU: what a packed trial really used of its share."""
    gpus = [d for d in devices.split(",") if "GPU" in d.upper()]
    if not gpus:
        return None
    import tensorflow as tf

    try:
        return max(tf.config.experimental.get_memory_info(d.split("device:")[-1])["peak"] for d in gpus) / 2**20
    except (ValueError, RuntimeError):
        return None
