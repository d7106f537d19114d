"""Planted cases are built once per test session, and only those a test asks for."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def planted(tmp_path_factory):
    """planted(name) -> the case's paths (model, train, test[, val]), trained on first use."""
    import keras

    from tests.checkup import cases, image_cases

    built: dict = {}

    def get(name: str) -> dict:
        if name not in built:
            keras.utils.set_random_seed(0)
            maker = getattr(cases, name, None) or getattr(image_cases, name)
            built[name] = maker(tmp_path_factory.mktemp(name))
        return built[name]

    return get
