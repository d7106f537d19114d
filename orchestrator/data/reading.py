"""Which reader reads a configured data source: the one entry to `sources` and `test_file` (which
itself reads through `sources`)."""

from __future__ import annotations

from orchestrator.config import DataConfig
from orchestrator.data.sources import RawData, read_images, read_npz, read_table, synthetic
from orchestrator.data.test_file import read_with_test_file


def read_source(cfg: DataConfig, seed: int) -> RawData:
    """The configured source's rows, with the user's own test file appended when there is one."""
    if cfg.source == "synthetic":
        return synthetic(cfg, seed)
    if cfg.source in ("csv", "parquet"):
        if cfg.test_path is not None:
            return read_with_test_file(cfg)
        return read_table(cfg)
    if cfg.source == "images":
        return read_images(cfg)
    return read_npz(cfg)
