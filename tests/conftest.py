"""Shared test set-up: hypothesis profiles and common fixtures.

``pytest`` runs the quick default profile; ``.ci/run`` sets
``HYPOTHESIS_PROFILE=ci`` for the thorough one (``--hypothesis-profile=ci``
works too).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import qualscale

settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def scale() -> qualscale.Scale:
    """The default bundled scale."""
    return qualscale.load_scale()


@pytest.fixture(scope="session", autouse=True)
def _scale_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Loaded scales are cached in the session's own folder, never the user's cache."""
    os.environ["QUALSCALE_CACHE_DIR"] = str(tmp_path_factory.mktemp("scale-cache"))
