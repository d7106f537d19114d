"""A full disk under an experiment: noticed before it is completely full, and reported as one line
that names the disk and says how to continue. Nothing already written is touched: the experiment
stops the way Ctrl-C stops it (Tune saves its state; every trial keeps its last checkpoint), so
`gg-train resume` finishes it once space is freed. A disk filled at once can still cut the row
Tune was appending to a trial's result.json or progress.csv: resume drops that row first.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from orchestrator.errors import GGError

# Stop while this much is still free, so Tune's state, the manifest and the checkpoints being written
# now still fit: a disk filled to the last byte can leave any of them half-written.
LOW_DISK_BYTES = 16 * 2**20


class DiskFullError(GGError):
    kind = "disk full"


def free_bytes(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def is_low(path: Path) -> bool:
    free = free_bytes(path)
    return free is not None and free < LOW_DISK_BYTES


def is_full(exc: BaseException) -> bool:
    """Did `exc` (or what it wraps: Ray and TensorFlow re-raise a worker's error) come from a full disk?"""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DiskFullError) or (isinstance(exc, OSError) and exc.errno == errno.ENOSPC):
            return True
        if "No space left on device" in str(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def stopped_by_full_disk(exc: BaseException, where: Path) -> bool:
    """Did a full disk stop the run? `exc` says so, or the disk under `where` is (nearly) full now:
    a file cut short by it fails later in words that do not name the disk (Tune's EOFError reading
    an empty error.pkl, a JSONDecodeError on a cut result row), and what the user must do is the same."""
    return is_full(exc) or is_low(where)


# The files Tune appends one result row (one line) to, in each trial's folder.
RESULT_ROWS = ("result.json", "progress.csv")


def trim_cut_rows(tune_dirs) -> list[Path]:
    """Drop the last row of a trial's result file when a full disk cut it short (the file does
    not end with the newline every row ends with), so the rows Tune appends on resume start on a
    line of their own and every row parses again. In place: the disk may still be nearly full.
    Returns the files trimmed."""
    trimmed = []
    for tune_dir in tune_dirs:
        for path in sorted(p for name in RESULT_ROWS for p in Path(tune_dir).glob(f"*/{name}")):
            data = path.read_bytes()
            if data and not data.endswith(b"\n"):
                os.truncate(path, data.rfind(b"\n") + 1)
                trimmed.append(path)
    return trimmed


def check_room(exp_dir: Path) -> None:
    """Before a resume writes anything (the name's lock, the manifest): a disk still full is the one line again."""
    if is_low(exp_dir):
        raise full_error(exp_dir, f"gg-train resume needs {LOW_DISK_BYTES // 2**20} MiB free there to continue")


def full_error(exp_dir: Path, kept: str = "the experiment stopped with its checkpoints intact",
               then: str = "resume") -> DiskFullError:
    """The one line: the disk, how much is left, what was kept, and the `gg-train` command to run once space is freed."""
    exp_dir = Path(exp_dir)
    free = free_bytes(exp_dir)
    shown = f"{free / 2**20:.1f} MiB free" if free is not None else "free space unknown"
    return DiskFullError(f"the disk holding {exp_dir} is full ({shown}); {kept}",
                         f"free space there, then: gg-train {then} {exp_dir.name} --runs-dir {exp_dir.parent}")
