"""Where an experiment's trials keep their checkpoints and TensorBoard logs: the experiment folder
on one machine, or shared storage (`output.storage`: `s3://…`, `gs://…`, or a folder every node
mounts) on a cluster, through Tune's own storage layer and a pyarrow filesystem.

With shared storage, Tune's folders live at `<storage>/<experiment>/tune` (and `learning_curve`);
the experiment folder keeps the report, the exported model, the seals and the copies the driver
fetches back: each usable trial's final checkpoint (`checkpoints/`, which the evaluation and the
export read) and every trial's TensorBoard run (`tensorboard/`). Credentials are the nodes' own
(instance roles, `AWS_*` variables; `AWS_ENDPOINT_URL` for an S3-compatible server), as for any
pyarrow client: gg-train never ships secrets to workers.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import ClusterError, ExperimentError, first_line
from orchestrator.folder.experiments import CURVE_DIR, TUNE_DIR
from orchestrator.folder.files import write_bytes_atomic
from orchestrator.folder.state_seal import is_state_file, state_files

BOARD_SUBDIR = "tensorboard"  # inside a trial's Tune folder, with shared storage: its TensorBoard run
FETCHED_DIR = "checkpoints"  # in the experiment folder: the final checkpoints fetched from storage


def is_uri(storage: str | None) -> bool:
    return storage is not None and "://" in storage


def root(storage: str | None, exp_dir: Path) -> str:
    """The `storage_path` Tune gets: the experiment folder, or the experiment's place in storage."""
    if storage is None:
        return str(Path(exp_dir).resolve())
    base = storage.rstrip("/") if is_uri(storage) else str(Path(storage).resolve())
    return f"{base}/{Path(exp_dir).name}"


def filesystem(where: str):
    """(pyarrow filesystem, path inside it) for a storage root or anything below it."""
    import pyarrow.fs as pafs

    if not is_uri(where):
        return pafs.LocalFileSystem(), str(Path(where).resolve())
    try:
        return pafs.FileSystem.from_uri(where)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError… for a bad scheme or missing support
        raise ClusterError(f"storage {where} cannot be opened: {first_line(exc)}",
                           "give s3://BUCKET/PATH, gs://BUCKET/PATH or an absolute folder every node mounts") from None


@contextlib.contextmanager
def reaching(where: str):
    """Storage that stops answering (network, credentials, a deleted bucket) is one line, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise ClusterError(f"storage {where} cannot be read or written from this driver: {first_line(exc)}",
                           "check the bucket or folder and this machine's credentials, then run the command again") from None


def write_marker(where: str) -> str:
    """Write a small marker object into the storage root from this driver (proving it is writable);
    returns its full name (URI or path) for the nodes to look for."""
    fs, path = filesystem(where)
    name = f".gg-shared-{secrets.token_hex(6)}"
    try:
        fs.create_dir(path, recursive=True)
        with fs.open_output_stream(f"{path}/{name}") as out:
            out.write(b"gg-train")
    except Exception as exc:
        raise ClusterError(f"storage {where} is not writable from this driver: {first_line(exc)}",
                           "check the bucket or folder name and this machine's credentials (AWS_*, AWS_ENDPOINT_URL, "
                           "GOOGLE_APPLICATION_CREDENTIALS)") from None
    return f"{where.rstrip('/')}/{name}"


def remove(where: str) -> None:
    fs, path = filesystem(where)
    try:
        fs.delete_file(path)
    except Exception:  # already gone: nothing to clean
        pass


def _copy(source: str, source_fs, target: str, target_fs) -> None:
    import pyarrow.fs as pafs

    pafs.copy_files(source, target, source_filesystem=source_fs, destination_filesystem=target_fs)


@dataclass(frozen=True)
class TuneFolder:
    """One Tune run of an experiment (`tune` or `learning_curve`) wherever its storage is.

    Without shared storage, `local` is Tune's folder itself. With it, Tune's folder is in storage
    (`path`) and `local` holds a mirror of Tune's state files only: pulled before a resume so the
    seal checks (`tune_state.ready_for_restore`) read them, and pushed back once they pass, so what
    Tune restores is what was checked."""

    exp_dir: Path
    name: str
    shared: str | None = None  # output.storage

    @property
    def storage_path(self) -> str:
        return root(self.shared, self.exp_dir)

    @property
    def path(self) -> str:
        return f"{self.storage_path}/{self.name}"

    @property
    def fetches(self) -> bool:
        """Object storage: checkpoints are copied into the experiment folder to be read."""
        return is_uri(self.shared)

    @property
    def local(self) -> Path:
        return Path(self.exp_dir) / self.name

    def _state_names(self) -> list[str]:
        import pyarrow.fs as pafs

        fs, path = filesystem(self.path)
        found = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
        return sorted(Path(f.path).name for f in found if f.type == pafs.FileType.File and is_state_file(Path(f.path).name))

    def pull_state(self) -> None:
        """Copy Tune's state files from storage into the local mirror (shared storage only)."""
        if self.shared is None:
            return
        fs, path = filesystem(self.path)
        with reaching(self.path):
            for name in self._state_names():
                self.local.mkdir(parents=True, exist_ok=True)
                with fs.open_input_stream(f"{path}/{name}") as source:
                    write_bytes_atomic(self.local / name, source.read())

    def push_state(self) -> None:
        """Put the checked local state files back in storage, in place of what is there."""
        if self.shared is None:
            return
        fs, path = filesystem(self.path)
        with reaching(self.path):
            for local in state_files(self.local):
                with fs.open_output_stream(f"{path}/{local.name}") as out:
                    out.write(local.read_bytes())

    def drop_pickled_errors(self) -> None:
        """Remove Ray's pickled trial exceptions (`error.pkl`) before a restore; Tune falls back to `error.txt`."""
        import pyarrow.fs as pafs

        fs, path = filesystem(self.path)
        for info in fs.get_file_info(pafs.FileSelector(path, allow_not_found=True)):
            pickled = f"{info.path}/error.pkl"
            if info.type == pafs.FileType.Directory and fs.get_file_info(pickled).type == pafs.FileType.File:
                fs.delete_file(pickled)

    def exists(self) -> bool:
        import pyarrow.fs as pafs

        fs, path = filesystem(self.path)
        with reaching(self.path):
            return fs.get_file_info(path).type == pafs.FileType.Directory

    def remove(self) -> None:
        """Nothing trained yet (killed before Tune wrote its state): start this run from nothing."""
        shutil.rmtree(self.local, ignore_errors=True)
        if self.shared is not None and self.exists():
            fs, path = filesystem(self.path)
            fs.delete_dir(path)

    def fetch(self, checkpoint) -> str | None:
        """A trial's checkpoint as a local folder the evaluation and the export can read: Tune's own
        path, or (object storage) a copy in `checkpoints/<trial>/` of the experiment folder."""
        if not self.fetches:
            return checkpoint.path
        import pyarrow.fs as pafs

        target = Path(self.exp_dir) / FETCHED_DIR / self.name / Path(checkpoint.path).parent.name
        shutil.rmtree(target, ignore_errors=True)  # fetched before a resume: the trial may have trained on
        target.mkdir(parents=True)
        _copy(checkpoint.path, checkpoint.filesystem, str(target), pafs.LocalFileSystem())
        return str(target)

    def pull_boards(self, board_dir: Path, trial_name: str | None = None) -> int:
        """Copy every trial's (or one trial's) TensorBoard run from storage (`<trial>/tensorboard/<run>`)
        into the experiment's `tensorboard/`. Returns how many runs came back."""
        if self.shared is None:
            return 0
        import pyarrow.fs as pafs

        fs, path = filesystem(self.path)
        trials = [f"{path}/{trial_name}"] if trial_name else [
            t.path for t in fs.get_file_info(pafs.FileSelector(path, allow_not_found=True)) if t.type == pafs.FileType.Directory]
        runs = 0
        for trial in trials:
            for run in fs.get_file_info(pafs.FileSelector(f"{trial}/{BOARD_SUBDIR}", allow_not_found=True)):
                if run.type == pafs.FileType.Directory:
                    _copy(run.path, fs, str(Path(board_dir) / Path(run.path).name), pafs.LocalFileSystem())
                    runs += 1
        return runs


def tune_folders(exp_dir: Path, shared: str | None) -> tuple[TuneFolder, TuneFolder]:
    """The experiment's two Tune runs: the trials, and the learning curve."""
    return TuneFolder(exp_dir, TUNE_DIR, shared), TuneFolder(exp_dir, CURVE_DIR, shared)


def claim(exp_dir: Path, shared: str | None, overwrite: bool) -> None:
    """Shared storage holds one experiment of a name: refuse to mix a new launch into an old one's
    trials, or clear them with --overwrite (before anything trains, after every check passed)."""
    if shared is None:
        return
    held = [folder for folder in tune_folders(exp_dir, shared) if folder.exists()]
    if held and not overwrite:
        raise ExperimentError(f"the storage already holds an experiment named '{Path(exp_dir).name}' ({held[0].path})",
                              "choose another --name, or pass --overwrite to replace it")
    for folder in held:
        folder.remove()
