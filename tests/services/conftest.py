"""The scripted morning of `tests.trace` (a real data folder), shared with these tests."""

from tests.trace.conftest import world

__all__ = ["world"]
