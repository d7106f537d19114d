"""TensorBoard on the driver: the HParams config of the variants, each trial's end state and test
metrics when the experiment ends, and a server on loopback unless told otherwise (with a warning).

Layout under `runs/<name>/tensorboard/`: the HParams config at the root (written once, before the
trials start), and one run per trial written by the trial itself (`train.board`). Tune's own
tensorboardX logger is off, so there is exactly one HParams session per trial.
"""

from __future__ import annotations

import math
from pathlib import Path

from orchestrator.config import ExperimentConfig, domain_values
from orchestrator.names import trial_name
from orchestrator.tuning.outcomes import (
    DIVERGED,
    EARLY_STOPPED,
    ERRORED,
    STOPPED_BY_ASHA,
)

# The status scalars are named by the status words (`tuning.outcomes`), plus the epochs run.
STATUS_METRICS = ("epochs_run", STOPPED_BY_ASHA, EARLY_STOPPED, ERRORED, DIVERGED)
TEST_METRICS = ("accuracy", "loss", "f1", "recall", "precision")
TEST_WHOSE = "two classes: the training minority class's (results.metrics); more: the macro average"


def _metrics():
    from tensorboard.plugins.hparams import api as hp

    metrics = [hp.Metric("loss", group="validation", display_name="val loss"),
               hp.Metric("accuracy", group="validation", display_name="val accuracy"),
               hp.Metric("loss", group="train", display_name="train loss"),
               hp.Metric("accuracy", group="train", display_name="train accuracy"),
               hp.Metric("gap/accuracy", display_name="gap (train − val accuracy)")]
    metrics += [hp.Metric(f"test/{m}", display_name=f"test {m}", description=TEST_WHOSE if m in ("f1", "recall", "precision") else "")
                for m in TEST_METRICS]
    metrics += [hp.Metric(m, display_name=m.replace("_", " ")) for m in STATUS_METRICS]
    return metrics


def write_hparams_config(board_root: Path, config: ExperimentConfig) -> None:
    """The experiment-level HParams config: every tuned hyperparameter with its domain."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    from orchestrator.models.variants import resolve_params

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


def log_outcomes(board_root: Path, outcomes, evaluated: dict) -> None:
    """When the experiment ends: each trial's status, and test metrics of the evaluated checkpoints."""
    import tensorflow as tf

    tested = {ev.outcome.trial_id: ev.test for ev in evaluated.values()}
    for o in outcomes:
        run = board_root / trial_name(o.variant, o.trial_id)
        status = {"epochs_run": o.epochs, **{name: o.status == name for name in STATUS_METRICS[1:]}}
        writer = tf.summary.create_file_writer(str(run))
        with writer.as_default():
            for name, value in status.items():
                tf.summary.scalar(name, float(value), step=max(o.epochs, 0))
            for name in TEST_METRICS if o.trial_id in tested else ():
                value = tested[o.trial_id].get(name)
                if value is not None and math.isfinite(value):
                    tf.summary.scalar(f"test/{name}", value, step=max(o.epochs, 0))
        writer.close()


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    family = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0][0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def is_loopback(host: str) -> bool:
    """True for a host only this machine reaches: `localhost`, 127.x, ::1. Names and 0.0.0.0 are not."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int) -> str | None:
    """The one stderr line a non-loopback host gets: TensorBoard has no authentication."""
    if is_loopback(host):
        return None
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return f"warning: TensorBoard has no authentication; anyone who can reach {where} can read these logs"


class _ServerError(Exception):
    pass


def _launch(argv: list[str]) -> str:
    from tensorboard import program

    board = program.TensorBoard()
    board.configure(argv=[None, *argv])
    try:
        return board.launch()
    except program.TensorBoardServerException as exc:
        raise _ServerError(exc.msg) from None


def serve(board_root: Path, port: int | None = None, host: str = "127.0.0.1") -> str:
    """Start TensorBoard in background threads on `host` (127.0.0.1 unless told: it has no
    authentication, so any other host first prints a warning on stderr); returns its URL."""
    from orchestrator.driver import logfile
    from orchestrator.errors import GGError
    from orchestrator.train.distribute import prepare_driver

    prepare_driver()
    try:
        chosen = port or free_port(host)
    except OSError as exc:
        raise GGError(f"TensorBoard cannot bind host '{host}': {exc.strerror or exc}", "pass an address of this machine, e.g. --host 127.0.0.1") from None
    warning = exposure_warning(host, chosen)
    if warning:
        print(warning, file=logfile.stderr(), flush=True)  # gg-train's line: the console, not the log
    try:
        return _launch(["--logdir", str(board_root), "--host", host, "--port", str(chosen), "--reload_interval", "5"])
    except _ServerError as exc:
        raise GGError(f"TensorBoard could not start on {host}:{chosen}: {exc}", "pick another --port, or leave it out for a free one") from None
