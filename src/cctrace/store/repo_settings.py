"""Settings: named string values with who set them last and when."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cctrace.store.base import StoreBase
from cctrace.store.models import SettingRow, utc_now


class SettingsRepo(StoreBase):
    def get_setting(self, key: str) -> str | None:
        with self._sessions() as session:
            row = session.get(SettingRow, key)
            return None if row is None else row.value

    def set_setting(self, key: str, value: str, by: str) -> None:
        with self._write() as session:
            put_setting(session, key, value, by)


def put_setting(session: Session, key: str, value: str, by: str) -> None:
    """Set ``key`` in the caller's transaction (other writes record a setting with theirs)."""
    row = session.get(SettingRow, key)
    if row is None:
        session.add(SettingRow(key=key, value=value, updated_at=utc_now(), updated_by=by))
    else:
        row.value, row.updated_at, row.updated_by = value, utc_now(), by
    session.flush()
