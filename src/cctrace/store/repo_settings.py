"""Settings: named string values with who set them last and when."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
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
    """Set ``key`` in the caller's transaction (other writes record a setting with theirs).

    One upsert: a read-then-insert lets two PostgreSQL transactions (READ COMMITTED) both
    find the key missing, and the second insert would fail."""
    values = {"key": key, "value": value, "updated_at": utc_now(), "updated_by": by}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(SettingRow).values(values)
    session.flush()
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[SettingRow.key],
            set_={"value": value, "updated_at": values["updated_at"], "updated_by": by},
        )
    )
    # A row this session already loaded would otherwise show the old value.
    session.get(SettingRow, key, populate_existing=True)
