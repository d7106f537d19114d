"""The experiment folder `runs/<name>/` and what keeps it whole: its creation, name lock and manifest
(`experiments`), the phases a launch records (`phases`), atomic state files and data hashes
(`files`), the seal over Tune's pickled state and the checks before a resume reads it
(`state_seal`, `tune_state`), and the guard against a full disk (`disk`)."""
