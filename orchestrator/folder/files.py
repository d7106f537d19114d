"""Writing state files so a crash never leaves half of one, and hashing data so a manifest can
prove what was trained and tested on."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np


def write_json_atomic(path: Path, payload: dict) -> None:
    """Write to a temporary sibling, then rename over `path`: readers see the old file or the new one."""
    write_bytes_atomic(path, json.dumps(payload, indent=2, sort_keys=False, default=_jsonable).encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """`write_json_atomic` for bytes."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk leaves the old file, not a half-written sibling
        raise
    os.replace(tmp, path)


def _jsonable(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON-serializable: {type(value).__name__}")


def array_hash(*arrays: np.ndarray) -> str:
    """sha256 of the arrays' dtype, shape and bytes: equal iff the data is equal. Images kept on
    disk (`data.image_files.ImageFiles`, given with their labels) hash their files instead."""
    if len(arrays) == 2 and hasattr(arrays[0], "fingerprint"):
        return arrays[0].fingerprint(arrays[1])
    digest = hashlib.sha256()
    for arr in arrays:
        arr = np.ascontiguousarray(arr)
        digest.update(f"{arr.dtype.str}{arr.shape}".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()[:16]
