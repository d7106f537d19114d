"""The `gg-train` command line: parse flags, call one library function, print.

Only config and errors are imported at module level, so `gg-train --help` never loads TensorFlow
or Ray. A `GGError` becomes one line on stderr and exit code 2; `GG_DEBUG=1` shows the traceback.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from orchestrator.driver import logfile
from orchestrator.checkup.command import doctor_command
from orchestrator.errors import GGError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Train regularization variants in parallel with Ray Tune; evaluate the winner once on held-out data.")

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="Experiment YAML (default: built-in quickstart settings).")]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Override any config key: --set training.epochs=30 (repeatable).")]
RunsDirOpt = Annotated[Path, typer.Option("--runs-dir", help="Where experiments live.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", help="Show Ray's and TensorFlow's own log lines on the console (otherwise they go to runs/NAME/logs/).")]


@app.callback()
def _root() -> None:
    """gg-train: why is my model's test accuracy low, and which regularization fixes it?"""


def _fail(err: GGError) -> None:
    if os.environ.get("GG_DEBUG"):
        raise err
    logfile.say(err.one_line(), err=True)
    raise typer.Exit(2)


@app.command()
@logfile.for_command
def launch(
    config: ConfigOpt = None,
    data: Annotated[Optional[Path], typer.Option(help="Your data: a .csv or .parquet table (text and empty cells welcome), an .npz with X and y, or a folder of images with one sub-folder per class.")] = None,
    label: Annotated[Optional[str], typer.Option(help="The label column of a table.")] = None,
    test_data: Annotated[Optional[Path], typer.Option("--test-data", help="Your own test table (same columns as --data): the held-out split as given, never seen by a trial; train and validation are split from --data.")] = None,
    model: Annotated[Optional[str], typer.Option(help="Your model: a saved .keras file (its architecture is trained afresh), or a builder path/to/models.py:build or package.module:build.")] = None,
    name: Annotated[Optional[str], typer.Option(help="Experiment name (default: config name + timestamp).")] = None,
    runs_dir: Annotated[Optional[Path], typer.Option("--runs-dir", help="Where experiments live (default ./runs).")] = None,
    gpus: Annotated[Optional[int], typer.Option(help="GPUs the experiment may use (default: all there are; 0 = CPU only).")] = None,
    gpus_per_trial: Annotated[Optional[float], typer.Option("--gpus-per-trial", help="GPUs per trial (default 1); below 1 packs trials onto a GPU, e.g. 0.25.")] = None,
    cpus_per_trial: Annotated[Optional[float], typer.Option("--cpus-per-trial", help="CPUs per trial (default 1).")] = None,
    cpu_replicas: Annotated[Optional[int], typer.Option("--cpu-replicas", help="CPU trials only: split the CPU into R logical devices and train with MirroredStrategy over them.")] = None,
    workers_per_trial: Annotated[Optional[int], typer.Option("--workers-per-trial", help="Train each trial on W Ray Train workers (each with --cpus-per-trial/--gpus-per-trial, spread over nodes) under MultiWorkerMirroredStrategy.")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="Epochs per trial (variants that set their own `epochs` keep theirs).")] = None,
    samples: Annotated[Optional[int], typer.Option(help="Trials per variant.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed for the split, the search and the weights.")] = None,
    address: Annotated[Optional[str], typer.Option(help="Join this Ray cluster instead of starting one here.")] = None,
    storage: Annotated[Optional[str], typer.Option(help="Shared storage for trials' checkpoints and logs on a cluster: s3://BUCKET/PATH, gs://BUCKET/PATH or a folder every node mounts.")] = None,
    mlflow: Annotated[Optional[str], typer.Option(help="Log every trial to this MLflow tracking URI (http://HOST:PORT, sqlite:////ABSOLUTE/PATH.db or file:///FOLDER); the winner's run gets its test metrics, the report and the model. Needs pip install 'gg-train[mlflow]'.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing experiment of the same name.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check config, data, model, cluster and resources, print the plan, train nothing.")] = False,
    set_: SetOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Train every regularization variant, pick the best on validation data, test it once."""
    try:
        from orchestrator import api

        console = logfile.console()
        exp = api.launch(
            config, data=data, label=label, test_data=test_data, model=model, name=name, runs_dir=runs_dir, gpus=gpus,
            gpus_per_trial=gpus_per_trial, cpus_per_trial=cpus_per_trial, cpu_replicas=cpu_replicas,
            workers_per_trial=workers_per_trial, epochs=epochs, samples=samples, seed=seed, address=address,
            storage=storage, mlflow=mlflow, overrides=set_, overwrite=overwrite, dry_run=dry_run, verbose=verbose, console=console)
    except GGError as err:
        _fail(err)
        return
    except KeyboardInterrupt as stop:
        _interrupted(stop)
    if exp is not None:
        _finish(console, exp)


def _interrupted(stop: BaseException) -> None:
    folder = getattr(stop, "exp_dir", None)  # launch.Interrupted carries the experiment folder
    if folder:
        logfile.say(f"interrupted; continue with: gg-train resume {Path(folder).name} --runs-dir {Path(folder).parent}", err=True)
    else:
        logfile.say("interrupted before the experiment folder was created; nothing to resume", err=True)
    raise typer.Exit(130)


def _finish(console, exp) -> None:
    from orchestrator.report.tables import variant_table

    console.print(variant_table(exp.report))
    best = exp.report.get("best")
    if best is None:
        logfile.say("no trial produced a usable model; see report.json for the errors", err=True)
        raise typer.Exit(1)
    for sentence in exp.report.get("diagnosis", {}).get("summary", []):  # one line each into a pipe or a file
        console.print(f"  {sentence}", highlight=False, soft_wrap=not console.is_terminal)
    console.print(f"best: {best['variant']} ({best['trial_id']}), test accuracy {best['test']['accuracy']:.3f} "
                  f"— chosen on validation, tested once", highlight=False)
    console.print(f"report: {exp.paths.report_json} (and report.html)\nmodel:  {exp.folder / best['model']}\n"
                  f"took {exp.seconds:.0f} s", highlight=False)


@app.command()
@logfile.for_command
def resume(
    name: Annotated[str, typer.Argument(help="Experiment to continue.")],
    runs_dir: RunsDirOpt = Path("runs"),
    trust_unsealed: Annotated[bool, typer.Option("--trust-unsealed", help="Resume a folder in which nothing carries a seal of your gg-train key (launched by a gg-train from before the seal, or copied from another machine): its Tune state is unpickled and its builder imported, whatever code they hold, so only for folders you wrote yourself.")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Continue an interrupted experiment: finished trials stay, unfinished ones continue from checkpoints."""
    try:
        from orchestrator import api

        console = logfile.console()
        exp = api.resume(name, runs_dir, trust_unsealed=trust_unsealed, verbose=verbose, console=console)
    except GGError as err:
        _fail(err)
        return
    except KeyboardInterrupt as stop:
        _interrupted(stop)
    _finish(console, exp)


@app.command("list")
def list_(runs_dir: RunsDirOpt = Path("runs")) -> None:
    """Every experiment under --runs-dir: status, trials done, best variant and its test accuracy, age."""
    from orchestrator.report.listing import experiments_table

    logfile.console().print(experiments_table(runs_dir))


@app.command()
def show(name: Annotated[str, typer.Argument(help="Experiment name.")], runs_dir: RunsDirOpt = Path("runs")) -> None:
    """The summary table and diagnosis of an experiment."""
    try:
        from orchestrator.report.listing import show_lines

        lines = show_lines(runs_dir, name)
    except GGError as err:
        _fail(err)
        return
    console = logfile.console()
    for line in lines:
        console.print(line, highlight=False)


@app.command()
@logfile.for_command
def evaluate(
    name: Annotated[str, typer.Argument(help="Experiment whose exported best model to use.")],
    data: Annotated[Path, typer.Option(help="New labelled data like the training data: a .csv/.parquet table, an .npz with X and y, or an image folder.")],
    label: Annotated[Optional[str], typer.Option(help="The label column of a CSV.")] = None,
    runs_dir: RunsDirOpt = Path("runs"),
    verbose: VerboseOpt = False,
) -> None:
    """Evaluate the exported best model on new labelled data, and check that it resembles the training data."""
    try:
        from orchestrator.results.new_data import evaluate_new_data, summary_lines

        result = evaluate_new_data(runs_dir, name, data, label)
    except GGError as err:
        _fail(err)
        return
    for line in summary_lines(name, data, result):
        logfile.say(line)


@app.command()
@logfile.for_command
def report(name: Annotated[str, typer.Argument(help="Experiment name.")], runs_dir: RunsDirOpt = Path("runs"),
           verbose: VerboseOpt = False) -> None:
    """Regenerate report.json's diagnosis, report.md and report.html from saved results, without training."""
    try:
        from orchestrator.pipeline.regenerate import regenerate

        paths = regenerate(runs_dir, name)
    except GGError as err:
        _fail(err)
        return
    for kind, path in paths.items():
        logfile.say(f"{kind}: {path}")


@app.command()
@logfile.for_command
def tensorboard(
    name: Annotated[str, typer.Argument(help="Experiment name (a folder under --runs-dir).")],
    port: Annotated[Optional[int], typer.Option(help="Port (default: a free one).")] = None,
    host: Annotated[str, typer.Option(help="Address to serve on. TensorBoard has no authentication: any non-loopback "
                                           "host (0.0.0.0 = every interface) lets whoever reaches it read the logs.")] = "127.0.0.1",
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Where experiments live.")] = Path("runs"),
    verbose: VerboseOpt = False,
) -> None:
    """Serve an experiment's TensorBoard (on 127.0.0.1 unless --host): curves per trial, HParams table of the variants."""
    try:
        from orchestrator.folder.experiments import BOARD_DIR
        from orchestrator.report.tensorboard import is_loopback, serve

        from orchestrator.folder import experiments

        folder = experiments.existing(runs_dir, name)
        logfile.attach(folder, "tensorboard.log")
        if not (folder / BOARD_DIR).is_dir():
            raise GGError(f"experiment '{name}' has no TensorBoard logs", "it was launched without TensorBoard logging (output.tensorboard: false)")
        url = serve(folder / BOARD_DIR, port, host)
    except GGError as err:
        _fail(err)
        return
    reach = f"{host} only" if is_loopback(host) else "no authentication"
    logfile.say(f"TensorBoard for {name}: {url}  ({reach}; Ctrl-C stops it)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        logfile.say("TensorBoard stopped")


app.command("doctor")(doctor_command(_fail, logfile.console))  # its options and body: orchestrator/checkup/command.py


def main() -> None:
    """Typer's own flag errors (a word where a number belongs, an unknown option) become one line
    too, like every other bad input: the problem, where to look, exit code 2."""
    try:
        code = app(prog_name="gg-train", standalone_mode=False)
    except typer.Abort:
        typer.echo("aborted", err=True)
        raise SystemExit(1)
    except typer.TyperException as exc:  # the usage errors of Typer's bundled Click
        if os.environ.get("GG_DEBUG"):
            raise
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        command = getattr(getattr(exc, "ctx", None), "command_path", "gg-train")
        if message.strip():  # empty when the help was already shown for a bare `gg-train`
            typer.echo(f"usage error: {' '.join(message.split())} (see {command} --help)", err=True)
        raise SystemExit(getattr(exc, "exit_code", 2))
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    sys.exit(main())
