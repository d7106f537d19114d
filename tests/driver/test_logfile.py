"""`orchestrator.driver.logfile`: for a command, every line Ray or TensorFlow could write (Python's sys.stdout
and sys.stderr, logging, warnings, native writes to descriptors 1 and 2, child processes) goes to
the experiment's log, gg-train's own lines to the console. Each case runs in a fresh interpreter
whose real stdout and stderr are the console under test; no Ray, no TensorFlow."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

# Stand-ins for what Ray and TensorFlow do: a logger writing to sys.stderr, a warning, a print, a
# native write to fd 2 (what C++ logging does), a child process writing to its inherited stderr.
FOREIGN = textwrap.dedent("""
    import logging, os, subprocess, sys, warnings
    def foreign(tag):
        logging.getLogger("ray.tune").warning("python logger %s", tag)
        warnings.warn(f"python warning {tag}")
        print(f"python print {tag}")
        os.write(2, f"native stderr {tag}\\n".encode())
        os.write(1, f"native stdout {tag}\\n".encode())
        subprocess.run([sys.executable, "-c", f"import sys; print('child {tag}', file=sys.stderr)"], check=True)
""")


def _run(body: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    code = FOREIGN + "from orchestrator.driver import logfile\n" + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60)


def _foreign_kinds(text: str) -> set[str]:
    return {kind for kind in ("python logger", "python warning", "python print", "native stderr", "native stdout", "child")
            if kind in text}


ALL = {"python logger", "python warning", "python print", "native stderr", "native stdout", "child"}


def test_a_command_logs_foreign_lines_before_and_after_the_folder_exists_and_prints_only_its_own(tmp_path):
    proc = _run("""
        with logfile.captured(verbose=False):
            foreign("before")
            print("gg-train: first", file=logfile.stdout())
            path = logfile.attach(sys.argv[1])
            foreign("after")
            print("model error: ours (fix)", file=logfile.stderr())
        print(path)
    """, tmp_path, str(tmp_path / "exp"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["gg-train: first", str(tmp_path / "exp" / "logs" / "driver.log")]
    assert proc.stderr.splitlines() == ["model error: ours (fix)"]
    log = (tmp_path / "exp" / "logs" / "driver.log").read_text()
    for tag in ("before", "after"):  # the buffer from before the folder existed is in the log too
        assert _foreign_kinds("\n".join(line for line in log.splitlines() if tag in line)) == ALL, log


def test_a_command_refused_before_its_folder_exists_prints_its_line_only_and_writes_nothing(tmp_path):
    proc = _run("""
        with logfile.captured(verbose=False):
            foreign("refused")
            print("model error: returned str (fix)", file=logfile.stderr())
    """, tmp_path)
    assert proc.returncode == 0
    assert (proc.stdout, proc.stderr) == ("", "model error: returned str (fix)\n")
    assert list(tmp_path.iterdir()) == []


def test_verbose_shows_every_line_on_the_console_and_native_mutes_step_aside(tmp_path):
    proc = _run("""
        with logfile.captured(verbose=True):
            assert logfile.attach(sys.argv[1]) is None and logfile.verbose()
            with logfile.native_stderr_muted():
                foreign("shown")
        assert not logfile.verbose()
    """, tmp_path, str(tmp_path / "exp"))
    assert proc.returncode == 0, proc.stderr
    assert _foreign_kinds(proc.stdout + proc.stderr) == ALL
    assert not (tmp_path / "exp").exists()


def test_under_a_capture_a_muted_block_reaches_the_log_and_outside_one_it_stays_muted(tmp_path):
    proc = _run("""
        with logfile.native_stderr_muted():
            os.write(2, b"muted without a command\\n")
        with logfile.captured(verbose=False):
            logfile.attach(sys.argv[1])
            with logfile.native_stderr_muted():
                os.write(2, b"kept in the log\\n")
    """, tmp_path, str(tmp_path / "exp"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and proc.stdout == ""
    assert (tmp_path / "exp" / "logs" / "driver.log").read_text() == "kept in the log\n"


def test_the_console_is_back_after_the_command_even_when_it_fails(tmp_path):
    proc = _run("""
        try:
            with logfile.captured(verbose=False):
                raise RuntimeError("a bug")
        except RuntimeError:
            pass
        foreign("afterwards")
    """, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert _foreign_kinds(proc.stdout + proc.stderr) == ALL


def test_a_piped_childs_output_is_relayed_to_the_log_or_with_verbose_the_console_and_dropped_outside(tmp_path):
    proc = _run("""
        logfile.relay("outside any command")
        with logfile.captured(verbose=False):
            logfile.attach(sys.argv[1])
            logfile.relay("the export check's start-up")
        with logfile.captured(verbose=True):
            logfile.relay("shown with --verbose")
    """, tmp_path, str(tmp_path / "exp"))
    assert proc.returncode == 0, proc.stderr
    assert (proc.stdout, proc.stderr) == ("", "shown with --verbose\n")
    assert (tmp_path / "exp" / "logs" / "driver.log").read_text() == "the export check's start-up\n"


def test_native_lines_from_a_background_thread_reach_the_log_and_never_the_console(tmp_path):
    """The driver imports TensorFlow in a thread while Ray starts (`tuning.cluster.connect`): its
    native start-up lines go where the main thread's go, before and after the folder exists."""
    proc = _run("""
        import threading
        print(logfile.redirected())
        with logfile.captured(verbose=False):
            print(logfile.redirected(), file=logfile.stdout())
            thread = threading.Thread(target=foreign, args=("threaded",))
            thread.start()
            thread.join()
            logfile.attach(sys.argv[1])
            thread = threading.Thread(target=foreign, args=("attached",))
            thread.start()
            thread.join()
    """, tmp_path, str(tmp_path / "exp"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["False", "True"] and proc.stderr == ""
    log = (tmp_path / "exp" / "logs" / "driver.log").read_text()
    for tag in ("threaded", "attached"):
        assert _foreign_kinds("\n".join(line for line in log.splitlines() if tag in line)) == ALL, log
