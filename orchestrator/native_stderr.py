"""Silence native (C++) log lines that ignore Python's logging: TensorFlow's start-up notes and the
Ray GCS client's retry warnings. File descriptor 2 goes to a temp file for the duration."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile


@contextlib.contextmanager
def native_stderr_muted(replay_on_error: bool = True):
    """Mute fd 2 inside the block; on an exception, replay what was muted when `replay_on_error`."""
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
