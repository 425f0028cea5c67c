"""Persistence: a simulator restarted on the same SQLite file finds everything again."""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

from receiver.errors import ConfigurationError
from receiver.simulator import create_simulator
from receiver.simulator.store import Store

from .conftest import (
    PRODUCT,
    WEBHOOKS,
    make_vendor,
    purchase_order,
    simulated,
    still_open,
)

pytestmark = pytest.mark.anyio


async def test_a_restart_on_the_same_file_finds_everything(tmp_path: Path) -> None:
    db = tmp_path / "simulator.db"
    vendor = make_vendor()
    async with simulated(vendor, db=db) as env:
        webhook = await env.create()
        disabled = await env.create(type="ValidateChangeOrderDraft", status="Disabled")
        order = purchase_order("refuse-order")
        await env.validate(order)
        before = await env.get(webhook["id"])
        history = env.sim.store.history()

    async with simulated(vendor, db=db) as env:
        after = await env.get(webhook["id"])
        listed = (await env.api.get(WEBHOOKS)).json()["data"]
        stored = (await env.api.get(f"/public/v1/commerce/orders/{order['id']}")).json()
        assert env.sim.store.history() == history
        # The secret survived too: the next call is still signed right.
        again = await env.api.post(f"/public/v1/commerce/orders/{order['id']}/validate")
        latest = await env.get(webhook["id"])

    assert after == before
    assert after["statistics"]["total"] == 1
    assert after["lastCall"]["httpStatusCode"] == "OK"
    assert [item["id"] for item in listed] == [webhook["id"], disabled["id"]]
    assert listed[1]["status"] == "Disabled"
    assert stored["error"] == {"id": "VND003", "message": "No."}
    assert again.headers["x-simulator-outcome"] == "refused"
    assert latest["statistics"]["successes"] == 2


def test_the_generated_token_is_kept_in_the_file(tmp_path: Path) -> None:
    db = tmp_path / "simulator.db"
    first = create_simulator(db=db)
    token = first.token
    first.close()
    second = create_simulator(db=db)
    memory = create_simulator()

    assert second.token == token
    assert memory.token != token
    assert len(memory.token) >= 40
    given = create_simulator(db=db, token="given")
    assert given.token == "given"
    given.close()
    second.close()
    memory.close()


def test_the_database_file_is_private_and_has_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "simulator.db"
    create_simulator(db=db).close()

    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    with closing(sqlite3.connect(db)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    assert {"webhooks", "objects", "history", "settings"} <= tables
    assert version == 1


def test_the_history_is_bounded() -> None:
    store = Store(None, history_size=3)
    for number in range(5):
        store.add_history({"objectId": f"ORD-{number}"})

    assert [entry["objectId"] for entry in store.history()] == ["ORD-4", "ORD-3", "ORD-2"]
    assert [entry["seq"] for entry in store.history(limit=1)] == [5]
    store.close()


def test_objects_are_stored_per_kind() -> None:
    store = Store(None)
    store.put_object("Order", {"id": "X-1", "v": 1})
    store.put_object("Order", {"id": "X-1", "v": 2})
    store.put_object("Account", {"id": "X-1", "v": 3})

    assert store.get_object("Order", "X-1") == {"id": "X-1", "v": 2}
    assert store.count_objects() == {"Account": 1, "Order": 1}
    assert store.get_object("Request", "X-1") is None
    store.close()


def test_a_failed_transaction_is_rolled_back() -> None:
    store = Store(None)

    def fail() -> str:
        raise RuntimeError

    with pytest.raises(RuntimeError):
        store.setting("a", fail)  # the default is made inside the transaction

    assert store.setting("a", lambda: "default") == "default"
    store.close()


def test_update_of_a_missing_webhook_is_none() -> None:
    store = Store(None)

    assert store.update_webhook("WBH-0000-0000", lambda record: None) is None
    store.close()


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        pytest.param({"token": " "}, "token must be", id="blank-token"),
        pytest.param({"call_timeout": 0}, "call_timeout", id="timeout"),
        pytest.param({"retry_delay": -1}, "retry_delay", id="retry-delay"),
        pytest.param({"db": "/nonexistent-dir/x.db"}, "Cannot open", id="bad-path"),
    ],
)
def test_bad_settings_are_refused(options: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        create_simulator(**options)  # type: ignore[arg-type]


def test_a_file_that_is_not_a_database_is_refused(
    tmp_path: Path, sqlite_connections: list[sqlite3.Connection]
) -> None:
    db = tmp_path / "junk.db"
    db.write_bytes(b"this is not a database" * 100)

    with pytest.raises(ConfigurationError, match="Cannot open"):
        create_simulator(db=db)

    assert len(sqlite_connections) == 1
    assert still_open(sqlite_connections) == []  # it was opened before the file was read


def test_a_simulator_that_fails_to_start_closes_its_database(
    tmp_path: Path, sqlite_connections: list[sqlite3.Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_token() -> str:
        raise OSError("no randomness")

    monkeypatch.setattr("receiver.simulator.app.generate_token", no_token)

    with pytest.raises(OSError, match="no randomness"):
        create_simulator(db=tmp_path / "simulator.db")

    assert len(sqlite_connections) == 1
    assert still_open(sqlite_connections) == []


@pytest.mark.parametrize("db", [pytest.param(None, id="memory"), pytest.param("file", id="file")])
def test_closing_the_simulator_closes_every_connection(
    tmp_path: Path, sqlite_connections: list[sqlite3.Connection], db: str | None
) -> None:
    simulator = create_simulator(db=None if db is None else tmp_path / "simulator.db")
    simulator.store.put_object("Order", {"id": "ORD-1"})
    assert len(still_open(sqlite_connections)) == 1

    simulator.close()

    assert still_open(sqlite_connections) == []


async def test_webhooks_keep_their_product_after_restart_for_conflicts(tmp_path: Path) -> None:
    db = tmp_path / "simulator.db"
    async with simulated(db=db) as env:
        await env.create()
    async with simulated(db=db) as env:
        await env.create(expect=409, criteria={"product.id": PRODUCT})
