"""The console carries gg-train's words; Ray's and TensorFlow's go to a log file in the experiment folder.

Both libraries write from Python loggers (Ray's handler looks up `sys.stderr` at each line) and from
native code straight to file descriptor 2 (TensorFlow's start-up, absl, gRPC), which no Python
setting reaches. So for a whole command, descriptors 1 and 2 themselves point at a log: first an
anonymous buffer, because the experiment folder does not exist yet (a refused builder's TensorFlow
start-up goes nowhere), then `runs/NAME/logs/<command>.log`, which receives the buffer (`attach`).
gg-train's own lines go to copies of the original descriptors (`stdout()`, `stderr()`).

`--verbose` or GG_DEBUG=1 changes nothing: every line shows as it comes, workers' too. The Python
API (`orchestrator.launch`, `resume`, `doctor`) captures the same way around each call, with its
`verbose` argument. Without a command or an API call around it (the pipelines called directly,
the tests) nothing is redirected either, and
`native_stderr_muted` keeps TensorFlow's start-up quiet block by block as before.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TextIO

LOGS_DIR = "logs"  # runs/NAME/logs/
DRIVER_LOG = "driver.log"  # launch and resume; other commands write <command>.log


class _Capture:
    """Descriptors 1 and 2 redirected to a sink; the originals kept for gg-train's own lines."""

    def __init__(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        self.saved = (os.dup(1), os.dup(2))
        self.out, self.err = (_console_stream(std, fd, copy) for std, fd, copy in zip((sys.stdout, sys.stderr), (1, 2), self.saved))
        self.sink = tempfile.TemporaryFile()  # anonymous: what comes before the experiment folder exists
        self.path: Path | None = None
        self._point_at(self.sink)
        self.python_streams = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = (_descriptor_stream(std, fd) if std is ours else std
                                  for std, fd, ours in zip(self.python_streams, (1, 2), (self.out, self.err)))

    def _point_at(self, sink) -> None:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)

    def attach(self, path: Path) -> None:
        """From now on into `path` (appended), with what the buffer holds so far."""
        path.parent.mkdir(parents=True, exist_ok=True)
        log = open(path, "ab")
        sys.stdout.flush()
        sys.stderr.flush()
        self.sink.seek(0)
        shutil.copyfileobj(self.sink, log)
        log.flush()
        self._point_at(log)
        self.sink.close()
        self.sink, self.path = log, path

    def close(self) -> None:
        for stream in (sys.stdout, sys.stderr, self.out, self.err):
            with contextlib.suppress(ValueError, OSError):
                stream.flush()
        replaced, (sys.stdout, sys.stderr) = (sys.stdout, sys.stderr), self.python_streams
        for stream in replaced:
            if stream not in self.python_streams:
                stream.close()  # ours, on descriptor 1 or 2 (closefd=False)
        os.dup2(self.saved[0], 1)
        os.dup2(self.saved[1], 2)
        for stream in (self.out, self.err):
            if stream not in (sys.stdout, sys.stderr):  # ours: a late write fails loudly, not into a reused descriptor
                stream.close()
        for fd in self.saved:
            os.close(fd)
        self.sink.close()


def _console_stream(std: TextIO, fd: int, copy: int) -> TextIO:
    """The console for gg-train's lines: a copy of descriptor `fd`, unless the caller replaced
    sys.stdout/sys.stderr with a stream of its own (a test's CliRunner): then that stream."""
    try:
        own = std.fileno() != fd
    except (AttributeError, OSError, ValueError):
        own = True
    if own:
        return std
    return open(copy, "w", buffering=1, encoding=getattr(std, "encoding", None) or "utf-8", errors="replace", closefd=False)


def _descriptor_stream(std: TextIO, fd: int) -> TextIO:
    """While `std` (a notebook's cell output, a test's CliRunner) carries gg-train's lines: a stream on
    descriptor `fd` in its place, so that Python-level writers of sys.stdout/sys.stderr (Ray's log
    handler, a child's relayed lines) reach the log like native ones instead of the cell."""
    return open(fd, "w", buffering=1, encoding=getattr(std, "encoding", None) or "utf-8", errors="replace", closefd=False)


_capture: _Capture | None = None
_verbose = False


@contextlib.contextmanager
def captured(verbose: bool):
    """For one command: Ray's and TensorFlow's lines into the log, gg-train's on the console."""
    global _capture, _verbose
    if _capture is not None:  # already inside a command's capture
        yield
        return
    if verbose:
        before, _verbose = _verbose, True
        try:
            yield
        finally:
            _verbose = before
        return
    _capture = _Capture()
    try:
        yield
    finally:
        capture, _capture = _capture, None
        capture.close()


@contextlib.contextmanager
def libraries_logged(verbose: bool):
    """Around a command or an API call (`orchestrator.launch`…) that runs TensorFlow or Ray: `captured`,
    unless `verbose` (the --verbose flag) or GG_DEBUG=1 asks for their lines on the console."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads, here and in every child
    with captured(verbose or bool(os.environ.get("GG_DEBUG"))):
        yield


def for_command(command):
    """Decorates a CLI command that runs TensorFlow or Ray: `libraries_logged` for its whole run."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        with libraries_logged(kwargs.get("verbose", False)):
            return command(*args, **kwargs)

    return run


def say(text: str, err: bool = False) -> None:
    """One of gg-train's own lines: to the console, even while Ray's and TensorFlow's go to a log."""
    print(text, file=stderr() if err else stdout(), flush=True)


def relay(text: str) -> None:
    """What a child process printed and gg-train piped (the export check): into the command's log, or
    with --verbose onto the console; outside a command (a library call) it is dropped."""
    if text and (_capture is not None or verbose()):
        sys.stderr.write(text if text.endswith("\n") else text + "\n")
        sys.stderr.flush()


def attach(folder: Path, name: str = DRIVER_LOG) -> Path | None:
    """Once the experiment folder exists: the log is `folder/logs/name`; None when nothing is captured."""
    if _capture is None:
        return None
    path = Path(folder) / LOGS_DIR / name
    if _capture.path != path:
        _capture.attach(path)
    return path


def current() -> Path | None:
    """The log file Ray's and TensorFlow's lines go to now, if any."""
    return _capture.path if _capture is not None else None


def redirected() -> bool:
    """Whether native lines already go where they belong from any thread: into a command's log
    (its capture), or onto the console with --verbose. Outside both, TensorFlow's start-up is muted
    block by block (`native_stderr_muted`), which must not run in two threads at once: whoever mutes
    descriptor 2 from a background thread mutes the main thread too."""
    return _capture is not None or verbose()


def verbose() -> bool:
    """--verbose or GG_DEBUG: Ray's and TensorFlow's lines are meant for the console (workers' too)."""
    return _verbose or bool(os.environ.get("GG_DEBUG"))


def console(quiet: bool = False):
    """A rich Console for gg-train's own lines (`stdout()`), 160 columns wide where the output is not a
    terminal (a pipe, a file, a notebook's cell): the variant table has ten columns."""
    from rich.console import Console

    out = stdout()
    return Console(file=out, width=None if out.isatty() else 160, quiet=quiet)


def stdout() -> TextIO:
    """Where gg-train's own output goes: the console, whatever descriptor 1 points at."""
    return _capture.out if _capture is not None else sys.stdout


def stderr() -> TextIO:
    """Where gg-train's own error lines go: the console, whatever descriptor 2 points at."""
    return _capture.err if _capture is not None else sys.stderr


@contextlib.contextmanager
def native_stderr_muted(replay_on_error: bool = True):
    """Mute fd 2 inside the block (TensorFlow's start-up notes, the Ray GCS client's retry warnings);
    on an exception, replay what was muted when `replay_on_error`. Under a command's capture the
    lines go to its log instead, and with --verbose to the console: the block changes nothing."""
    if redirected():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            if replay_on_error:
                sink.seek(0)
                sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
