"""Where the simulator keeps its state: webhooks (with statistics and last calls), the objects
it validated (orders, accounts, requests, enrollments), a bounded history of recent calls, and
its settings. One SQLite database: a file that survives restarts, or ``:memory:``.

    >>> store = Store(None)
    >>> store.put_object("Order", {"id": "ORD-1111-2222-3333", "type": "Purchase"})
    >>> store.get_object("Order", "ORD-1111-2222-3333")["type"]
    'Purchase'
    >>> store.close()

Why SQLite through the standard library: no server, no dependency, a file a developer can open
with ``sqlite3`` to look inside. Every method takes a lock and runs one short transaction, so the
store can be shared by the server thread and a test or demo thread; the statements are tiny, so
running them on the event loop costs microseconds.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, TypeVar

from receiver.simulator.records import WebhookRecord

T = TypeVar("T")

HISTORY_SIZE: Final = 50
"""How many recent calls the history keeps (the dashboard shows them)."""

SCHEMA_VERSION: Final = 1

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS webhooks (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    type       TEXT NOT NULL,
    object_id  TEXT NOT NULL,
    data       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    data    TEXT NOT NULL,
    updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS history (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class Store:
    """The simulator's database. ``path=None`` keeps everything in memory (gone at exit); a
    path opens (or creates, with its schema) a SQLite file.

    Webhooks are kept in creation order (``seq``); deleting one removes it for good (the
    platform soft-deletes, but a deleted webhook vanishes from every answer, platform.md §4.5.2).
    """

    def __init__(self, path: str | Path | None, *, history_size: int = HISTORY_SIZE) -> None:
        self.path = None if path is None else Path(path)
        self.history_size = history_size
        if self.path is not None and not self.path.exists():
            # The file holds webhook secrets: readable by its owner only.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        target = ":memory:" if self.path is None else str(self.path)
        conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        try:  # executescript manages its own transaction
            conn.executescript(_SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
        except BaseException:
            # A file that is not a database connects and fails here: nobody gets this
            # connection to close, so it is closed now rather than left to the collector.
            conn.close()
            raise
        self._conn = conn
        # Re-entrant: a change function given to update_webhook may query the store.
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- settings ---------------------------------------------------------------------------

    def setting(self, key: str, default: Callable[[], str]) -> str:
        """The stored value of ``key``; the first time, ``default()`` is stored and returned."""
        with self._transaction() as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return str(row[0])
            value = default()
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (key, value))
            return value

    # -- webhooks ---------------------------------------------------------------------------

    def add_webhook(self, record: WebhookRecord) -> WebhookRecord:
        """Insert a new webhook; its ``seq`` (creation order) is set."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO webhooks (id, account_id, type, object_id, data)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.account["id"],
                    record.type,
                    record.object_id,
                    json.dumps(record.to_storage()),
                ),
            )
            record.seq = int(cursor.lastrowid or 0)
        return record

    def webhook(self, webhook_id: str) -> WebhookRecord | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT seq, data FROM webhooks WHERE id = ?", (webhook_id,)
            ).fetchone()
        return None if row is None else WebhookRecord.from_storage(json.loads(row[1]), row[0])

    def webhooks(self) -> list[WebhookRecord]:
        """Every webhook, in creation order."""
        with self._lock:
            rows = self._conn.execute("SELECT seq, data FROM webhooks ORDER BY seq").fetchall()
        return [WebhookRecord.from_storage(json.loads(data), seq) for seq, data in rows]

    def conflicting_webhook(
        self, account_id: str, webhook_type: str, object_id: str, *, exclude: str = ""
    ) -> str | None:
        """The id of another webhook for the same (account, type, object), or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT id FROM webhooks WHERE account_id = ? AND type = ? AND object_id = ?"
                " AND id != ?",
                (account_id, webhook_type, object_id, exclude),
            ).fetchone()
        return None if row is None else str(row[0])

    def delete_webhook(self, webhook_id: str) -> bool:
        with self._transaction() as conn:
            return conn.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount > 0

    def update_webhook(
        self, webhook_id: str, change: Callable[[WebhookRecord], T]
    ) -> tuple[WebhookRecord, T] | None:
        """Read, change and write one webhook in one transaction (so concurrent calls never lose
        a count); None when it does not exist (deleted meanwhile)."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT seq, data FROM webhooks WHERE id = ?", (webhook_id,)
            ).fetchone()
            if row is None:
                return None
            record = WebhookRecord.from_storage(json.loads(row[1]), row[0])
            result = change(record)
            conn.execute(
                "UPDATE webhooks SET object_id = ?, data = ? WHERE id = ?",
                (record.object_id, json.dumps(record.to_storage()), webhook_id),
            )
        return record, result

    # -- objects ----------------------------------------------------------------------------

    def put_object(self, kind: str, data: dict[str, Any]) -> None:
        """Store (insert or replace) an object of ``kind`` (``Order``, ``Account``, ...)."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO objects (kind, id, data) VALUES (?, ?, ?)"
                " ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data,"
                " updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                (kind, data["id"], json.dumps(data)),
            )

    def get_object(self, kind: str, object_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT data FROM objects WHERE kind = ? AND id = ?", (kind, object_id)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def count_objects(self) -> dict[str, int]:
        """How many objects of each kind are stored."""
        with self._lock:
            rows = self._conn.execute("SELECT kind, COUNT(*) FROM objects GROUP BY kind")
            return {kind: int(count) for kind, count in rows}

    # -- history ----------------------------------------------------------------------------

    def add_history(self, entry: dict[str, Any]) -> int:
        """Append one entry to the history of recent calls (the oldest beyond ``history_size``
        are dropped); returns its sequence number."""
        with self._transaction() as conn:
            cursor = conn.execute("INSERT INTO history (data) VALUES (?)", (json.dumps(entry),))
            seq = int(cursor.lastrowid or 0)
            conn.execute("DELETE FROM history WHERE seq <= ?", (seq - self.history_size,))
        return seq

    def history(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Recent calls, newest first, each with its ``seq``."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, data FROM history ORDER BY seq DESC LIMIT ?",
                (self.history_size if limit is None else limit,),
            ).fetchall()
        return [{"seq": seq, **json.loads(data)} for seq, data in rows]
