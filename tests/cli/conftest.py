"""The ingestion fixtures (a fresh data folder with a camera, a short clip) for CLI tests."""

from tests.ingest.conftest import clip, env

__all__ = ["clip", "env"]
