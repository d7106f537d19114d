"""Where a call's lines go without a console of its own (a notebook): gg-train's under the cell, Ray's
and TensorFlow's (native or Python-level) into the experiment's log."""

from __future__ import annotations

import io
import os
import sys

from orchestrator.driver import logfile


class _Cell(io.StringIO):
    """A notebook cell's output stream: text, not a file descriptor."""

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")


def test_in_a_notebook_library_lines_reach_the_log_and_gg_trains_own_the_cell(tmp_path, monkeypatch):
    cell_out, cell_err = _Cell(), _Cell()
    monkeypatch.setattr(sys, "stdout", cell_out)
    monkeypatch.setattr(sys, "stderr", cell_err)
    with logfile.libraries_logged(verbose=False):
        print("ray: a line of its Python log handler", file=sys.stderr, flush=True)
        os.write(2, b"tensorflow: a native line\n")
        logfile.attach(tmp_path)
        logfile.say("gg-train: a line of ours")
        logfile.console().print("gg-train: a progress line")
        logfile.relay("checker: a child's line")
    assert sys.stdout is cell_out and sys.stderr is cell_err
    assert cell_out.getvalue() == "gg-train: a line of ours\ngg-train: a progress line\n" and cell_err.getvalue() == ""
    log = (tmp_path / logfile.LOGS_DIR / logfile.DRIVER_LOG).read_text(encoding="utf-8")
    assert all(line in log for line in ("ray: a line", "tensorflow: a native line", "checker: a child's line")), log


def test_verbose_leaves_every_line_where_it_goes(tmp_path, monkeypatch):
    cell_err = _Cell()
    monkeypatch.setattr(sys, "stderr", cell_err)
    with logfile.libraries_logged(verbose=True):
        print("ray: shown", file=sys.stderr)
        assert logfile.attach(tmp_path) is None
    assert cell_err.getvalue() == "ray: shown\n"
