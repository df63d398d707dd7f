from __future__ import annotations

import pytest

from simexit.policies.loader import PackRegistry, load_registry


@pytest.fixture(scope="session")
def registry() -> PackRegistry:
    return load_registry()
