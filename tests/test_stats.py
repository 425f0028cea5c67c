"""The statistics' date-times: the platform's form, exactly as datetime writes it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from receiver.stats import call_record, iso_from_ns, iso_now

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def datetime_iso(ns: int) -> str:
    # What iso_now wrote before: datetime (microseconds, truncated) .isoformat(milliseconds).
    when = EPOCH + timedelta(microseconds=ns // 1000)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@given(st.integers(min_value=0, max_value=2**62))
def test_iso_from_ns_is_what_datetime_writes(ns: int) -> None:
    assert iso_from_ns(ns) == datetime_iso(ns)


def test_iso_from_ns_across_second_boundaries() -> None:
    second = 1_778_584_271 * 10**9
    for ns in (second - 1, second, second + 999_999, second + 1_000_000, second + 10**9 - 1):
        assert iso_from_ns(ns) == datetime_iso(ns)
    assert iso_from_ns(second + 123_999_999) == "2026-05-12T11:11:11.123Z"


def test_iso_now_is_now_in_the_platforms_form() -> None:
    before = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    now = iso_now()
    after = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", now)
    assert before <= now <= after


def test_call_record_names_the_status() -> None:
    record = call_record(
        status=401,
        call_time="a",
        response_time="b",
        error="e",
        response=b"x" * 2000,
        headers="h: v",
        webhook_type=None,
        object_id=None,
        outcome="unauthorized",
    )

    assert record["httpStatusCode"] == "Unauthorized"
    assert record["reasonPhrase"] == "Unauthorized"
    assert record["success"] is False
    assert len(record["response"]) == 1024
    assert (
        call_record(
            status=599,
            call_time="a",
            response_time="b",
            error=None,
            response=b"",
            headers="",
            webhook_type=None,
            object_id=None,
            outcome="x",
        )["reasonPhrase"]
        == ""
    )
