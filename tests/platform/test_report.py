"""receiver.platform.report: the platform's statistics beside the receiver's own (real HTTP to
its /_receiver/webhooks), the last failure in a line, and the --fail-when conditions."""

from __future__ import annotations

import pytest

from receiver import Order, Receiver
from receiver.errors import ConfigurationError
from receiver.models import Webhook
from receiver.models.webhook import Call, Statistics
from receiver.platform.report import (
    counts,
    describe_call,
    make_rows,
    parse_condition,
    receiver_statistics,
)
from receiver.simulator._server import ServerThread
from receiver.testing import PlatformClient, samples

from .conftest import closed_port

ADMIN = "admin-token-admin-token-0001"
SECRET = "report-secret-report-secret-0001"


@pytest.mark.parametrize(
    ("text", "stats", "holds"),
    [
        ("failures-since-last-success>3", Statistics(failures_since_last_success=4), True),
        ("failures-since-last-success>3", Statistics(failures_since_last_success=3), False),
        ("failures >= 3", Statistics(failures=3), True),
        ("total<1", None, True),
        ("successes=2", Statistics(successes=2), True),
    ],
)
def test_conditions(text: str, stats: Statistics | None, holds: bool) -> None:
    assert parse_condition(text).holds(stats) is holds


@pytest.mark.parametrize("text", ["failures>", "latency>3", "failures>-1", "failures~3", ""])
def test_a_condition_that_cannot_be_read_says_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match="FIELD>N"):
        parse_condition(text)


def test_a_call_in_one_line() -> None:
    call = Call.from_dict(
        {
            "success": False,
            "callTime": "2025-01-02T03:04:05Z",
            "httpStatusCode": "Unauthorized",
            "reasonPhrase": "Unauthorized",
            "error": "The vendor answered\nHTTP 401.",
        }
    )
    silent = Call.from_dict({"success": False, "callTime": "2025-01-02T03:04:05Z"})

    assert (
        describe_call(call)
        == "2025-01-02 03:04:05Z 401 Unauthorized: The vendor answered HTTP 401."
    )
    assert describe_call(call, width=30) == "2025-01-02 03:04:05Z 401 Un..."
    assert describe_call(silent) == "2025-01-02 03:04:05Z no answer"
    assert describe_call(None) == "-"
    assert counts(Statistics(total=5, successes=3, failures=2, failures_since_last_success=1)) == (
        "5/3/2/1"
    )


def test_the_receivers_own_statistics_beside_the_platforms() -> None:
    app = Receiver(secrets={"WBH-1111-0001": SECRET}, admin_token=ADMIN)

    @app.validate_purchase_order_draft
    def check(order: Order) -> Order:
        if order.notes == "fail":
            raise RuntimeError("the stock system is down")
        return order

    with ServerThread(app) as server:
        client = PlatformClient(server.url, secret=SECRET, webhook_id="WBH-1111-0001")
        client.call("ValidatePurchaseOrderDraft", samples.purchase_order())
        client.call("ValidatePurchaseOrderDraft", samples.purchase_order(notes="fail"))
        # A wrong secret is counted apart from the platform-shaped numbers (unverified).
        PlatformClient(
            server.url, secret="wrong-secret-wrong-secret", webhook_id="WBH-1111-0001"
        ).call("ValidatePurchaseOrderDraft", samples.purchase_order())
        own = receiver_statistics(server.url + "/", ADMIN)
        with pytest.raises(ConfigurationError, match="refused the admin token"):
            receiver_statistics(server.url, "not-the-admin-token")

    platform_side = [Webhook.from_dict({"id": "WBH-1111-0001"}), Webhook.from_dict({"id": "WBH-2"})]
    rows = make_rows(platform_side, own)

    mine = own["WBH-1111-0001"]
    assert mine.statistics == Statistics(
        total=2, successes=1, failures=1, failures_since_last_success=1
    )
    assert mine.last_failure is not None
    assert "500 Internal Server Error" in describe_call(mine.last_failure)
    assert rows[0].receiver is own["WBH-1111-0001"]
    assert rows[1].receiver is None
    assert rows[0].to_dict()["receiver"]["statistics"]["successes"] == 1
    assert rows[0].to_dict()["receiver"]["lastFailure"]["httpStatusCode"] == "InternalServerError"
    assert make_rows(platform_side, None)[0].to_dict()["receiver"] is None


def test_a_receiver_without_an_admin_token_has_no_statistics_route() -> None:
    app = Receiver(secrets={"WBH-1111-0001": SECRET})
    app.validate_purchase_order_draft(lambda order: order)
    with ServerThread(app) as server, pytest.raises(ConfigurationError, match="has no such route"):
        receiver_statistics(server.url, ADMIN)


def test_an_unreachable_receiver() -> None:
    with pytest.raises(ConfigurationError, match=r"Could not reach .* \(ConnectError\)"):
        receiver_statistics(f"http://127.0.0.1:{closed_port()}", ADMIN)
