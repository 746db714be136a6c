from tests.ingest.conftest import env

__all__ = ["env"]
