"""Root conftest: the e2e tier runs only when asked for (`-m e2e`)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "e2e" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="e2e tier: run with -m e2e")
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)
