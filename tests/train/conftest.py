"""Fixtures for the trial-loop tests (tiny data and a setup, from helpers)."""

from tests.train.helpers import data  # noqa: F401  (a fixture)
