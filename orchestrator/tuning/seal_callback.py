"""Seals Tune's experiment state and keeps an atomic copy of it (`state_seal`) at the moment Tune
writes it.

Tune saves its state into a driver staging folder and copies that folder into the experiment's
tune folder afterwards; it asks every callback for its own state (`get_state`) right after writing
the experiment and searcher states there. That call is the hook: the files are whole and not yet
copied, so what reaches the experiment folder is sealed before it gets there, and a kill at any
moment leaves a tune folder whose every state file carries a seal (`state_seal.KEEP` are kept).
"""

from __future__ import annotations

from pathlib import Path

from ray import tune

from orchestrator.folder import state_seal
from orchestrator.tuning import restart_guard


class StateSeal(tune.Callback):
    def __init__(self, exp_dir: str, tune_dir: str) -> None:
        self.exp_dir, self.tune_dir = exp_dir, tune_dir
        self._staging: str | None = None

    def __getstate__(self) -> dict:
        # Pickled into tuner.pkl; the staging folder belongs to one Ray session.
        return {"exp_dir": self.exp_dir, "tune_dir": self.tune_dir, "_staging": None}

    def setup(self, **info):
        restart_guard.check()  # a restored Tuner that gave up on its state: stop before any trial

    def on_step_begin(self, iteration, trials, **info):
        if self._staging is None and trials:
            self._staging = trials[0].storage.experiment_driver_staging_path

    def _staging_folder(self) -> Path | None:
        """The staging folder, from a trial once there is one; Tune's first save comes in the step
        that adds the first trials, before any callback sees them, so that one is found as the
        newest experiment state in this Ray session's staging folders named like ours."""
        if self._staging is not None:
            return Path(self._staging)
        from ray.train.constants import _get_ray_train_session_dir

        saved = Path(_get_ray_train_session_dir()).glob(f"*/{self.tune_dir}/driver_artifacts/experiment_state-*.json")
        newest = max(saved, key=lambda p: p.stat().st_mtime, default=None)
        return newest.parent if newest is not None else None

    def get_state(self):
        """Seal what Tune just wrote; no state of our own, so Tune writes no callback file."""
        folder = self._staging_folder()
        try:
            if folder is not None:
                state_seal.seal(Path(self.exp_dir), self.tune_dir, state_seal.state_files(folder), keep_copy=True)
        except OSError:  # a full disk: `DiskWatch` stops the run; Tune's own save must not fail here
            pass
        return None
