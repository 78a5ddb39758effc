"""Marks the pairings where no tandem binary takes part.

Those (aiortc and Chromium against aiortc) check the harness itself and the
reference peers; `-m "not reference_only"` leaves them out when only the
tandem legs matter.
"""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reference_only: no tandem side; checks the harness and the reference peers"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "tandem" not in callspec.params.values():
            item.add_marker(pytest.mark.reference_only)
