"""The `gg-train doctor` command's options and body, kept here so cli.py stays one screen per command
and under its size limit; cli.py registers it with its own error handling and console.

Only typer and the errors are imported at module level: `gg-train --help` must stay instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from orchestrator.driver import logfile
from orchestrator.errors import GGError


def doctor_command(fail: Callable[[GGError], None], console: Callable[[], object]) -> Callable:
    """The command function, with `fail` (a GGError -> one line, exit 2) and `console` from cli.py."""

    def doctor(
        model: Annotated[Path, typer.Argument(help="Your trained model: a .keras file (loaded in safe mode), a legacy .h5 file or a SavedModel folder.")],
        test: Annotated[Path, typer.Option(help="The test data you scored the model on: a .csv or .parquet table, an .npz with X and y (rows or images), or a folder of images with one sub-folder per class.")],
        label: Annotated[Optional[str], typer.Option(help="The label column of the tables (not needed for NPZ or image folders).")] = None,
        data: Annotated[Optional[Path], typer.Option(help="The training data the model was trained on, like --test: most causes need it.")] = None,
        val: Annotated[Optional[Path], typer.Option(help="A validation table, if you kept one.")] = None,
        features: Annotated[Optional[str], typer.Option(help="The columns the model takes, in its input order: a,b,c (default: its input names, else every numeric column).")] = None,
        name: Annotated[Optional[str], typer.Option(help="Folder for doctor.json under --runs-dir (default: doctor + timestamp).")] = None,
        runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Where experiments live.")] = Path("runs"),
        verbose: Annotated[bool, typer.Option("--verbose", help="Show TensorFlow's own log lines on the console.")] = False,
    ) -> None:
        """Why does this saved model score low on this test file? Examines it as it is, trains nothing."""
        try:
            from orchestrator import api
            from orchestrator.checkup.report import print_summary

            exam = api.doctor(model, test, label=label, data=data, val=val, features=features, name=name,
                              runs_dir=runs_dir, verbose=verbose)
        except GGError as err:
            fail(err)
            return
        print_summary(console(), exam.report, exam.paths.report_json)

    return logfile.for_command(doctor)
