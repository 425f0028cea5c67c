"""``receiver demo``: the whole loop on one machine, in a few seconds, with nothing but loopback.

It starts the simulator (SQLite in a temporary directory) and a demo vendor app (a
:class:`receiver.Receiver`) on free loopback ports, registers four webhooks with the platform
client (:mod:`receiver.platform`, as a vendor would), validates seven orders through
``/public/v1/commerce/orders/validate`` and prints what happened: accepted, refused at order
level, refused at a parameter, repriced, a vendor too slow for the platform's timeout, a webhook
whose secret the vendor does not have, and an order no webhook is interested in. Then the
webhooks' statistics, in the platform's shape (platform.md §4.3.1).

The vendor finds its secrets the way vendors do today: per product (``ProductSecrets``), the
product read from the webhook's criteria through the simulator's Webhook API.

    >>> import io
    >>> run_demo(out=io.StringIO())  # doctest: +SKIP
    0
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

import httpx

from receiver.app import Receiver
from receiver.models import Order
from receiver.platform import WebhooksClient
from receiver.secrets import ProductSecrets
from receiver.simulator._server import ServerThread
from receiver.simulator.app import Simulator, create_simulator
from receiver.simulator.apply import describe

DEMO_CALL_TIMEOUT: Final = 2.0
"""The simulator's call timeout in the demo: short, so the slow vendor case is quick."""
SLOW_HANDLER_SECONDS: Final = DEMO_CALL_TIMEOUT + 2.0

ACME: Final = "PRD-1111-1111"
BACKUP: Final = "PRD-2222-2222"
UNWATCHED: Final = "PRD-3333-3333"
VALIDATE_PATH: Final = "/public/v1/commerce/orders/validate"


@dataclass(frozen=True, slots=True)
class Case:
    """One order sent through ``/validate`` and what should come of it."""

    title: str
    order: dict[str, Any]
    outcome: str
    status: int
    vendor: str | None = None  # the httpStatusCode of the call, None when nothing is called
    changed: str | None = None  # a piece of a change's path that must be there


@dataclass(slots=True)
class Row:
    """What happened to one case."""

    case: Case
    status: int
    outcome: str
    webhook_type: str | None
    vendor: str | None
    changes: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    vendor_status: int | None = None
    answer: str | None = None


def _order(
    number: str,
    order_type: str,
    *,
    product: str = ACME,
    company: str = "Contoso Ltd",
    quantity: int = 5,
    old_quantity: int = 0,
    line_id: str | None = None,
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "item": {"id": "ITM-1111-1111-0001", "name": "Acme Pro (1 year)"},
        "oldQuantity": old_quantity,
        "quantity": quantity,
        "price": {"currency": "USD", "unitPP": 100.0},
    }
    if line_id is not None:
        line["id"] = line_id
    return {
        "id": f"ORD-{number}",
        "type": order_type,
        "status": "Draft",
        "product": {"id": product, "name": "Acme Cloud Suite"},
        "agreement": {"id": f"AGR-{number}", "name": "Acme Cloud Suite for Contoso"},
        "lines": [line],
        "parameters": {
            "ordering": [
                {
                    "id": "PAR-1111-1111-0001",
                    "externalId": "companyName",
                    "name": "Company name",
                    "type": "SingleLineText",
                    "constraints": {"hidden": False, "required": True, "readonly": False},
                    "value": company,
                }
            ],
            "fulfillment": [],
        },
    }


CASES: Final = (
    Case("accepted", _order("1001-0001-0001", "Purchase"), "accepted", 200, "OK"),
    Case(
        "refused at a parameter",
        _order("1001-0001-0002", "Purchase", company=""),
        "refused",
        200,
        "OK",
        "parameters.ordering[companyName].error",
    ),
    Case(
        "repriced",
        _order("1001-0001-0003", "Purchase", quantity=50),
        "accepted",
        200,
        "OK",
        ".price.unitPP",
    ),
    Case(
        "refused at order level",
        _order(
            "1001-0001-0004",
            "Change",
            quantity=15,
            old_quantity=10,
            line_id="ALI-1001-0001-0004-0001",
        ),
        "refused",
        200,
        "OK",
        "error",
    ),
    Case(
        "too slow for the timeout",
        _order(
            "1001-0001-0005",
            "Termination",
            quantity=0,
            old_quantity=10,
            line_id="ALI-1001-0001-0005-0001",
        ),
        "timeout",
        200,
        "GatewayTimeout",
    ),
    Case(
        "bad secret",
        _order("1001-0001-0006", "Purchase", product=BACKUP),
        "vendor_error",
        400,
        "Unauthorized",
    ),
    Case(
        "no webhook",
        _order("1001-0001-0007", "Purchase", product=UNWATCHED),
        "no_webhook",
        200,
    ),
)


def make_vendor_app(
    *, api_base_url: str, api_token: str, product_secrets: dict[str, str], release: threading.Event
) -> Receiver:
    """The demo vendor: what a real extension's validation looks like, in four handlers."""
    app = Receiver(
        secrets=ProductSecrets(product_secrets, api_base_url=api_base_url, api_token=api_token)
    )

    @app.validate_purchase_order_draft
    async def check_purchase(order: Order) -> Order:
        company = order.find_parameter("companyName")
        if company is not None and not company.value:
            company.set_error("ACME001", "Company name is required.")
            return order
        for line in order.all_lines():
            if isinstance(line.quantity, int) and line.quantity >= 50 and line.id:
                order.set_line_price(line.id, unit_pp=90.0)  # a volume discount
        return order

    @app.validate_change_order_draft
    async def refuse_change(order: Order) -> Order:
        return order.set_error("ACME002", "Change orders are not supported yet; contact Acme.")

    @app.validate_terminate_order
    async def slow_termination(order: Order) -> Order:
        # A slow back-end: longer than the platform waits. Stops early when the demo ends.
        await asyncio.to_thread(release.wait, SLOW_HANDLER_SECONDS)
        return order

    return app


def _register(api: WebhooksClient, vendor_url: str, product_secrets: dict[str, str]) -> None:
    webhooks = [
        ("ValidatePurchaseOrderDraft", ACME, product_secrets[ACME]),
        ("ValidateChangeOrderDraft", ACME, product_secrets[ACME]),
        ("ValidateTerminateOrder", ACME, product_secrets[ACME]),
        # A secret the vendor does not have (rotated on one side only).
        ("ValidatePurchaseOrderDraft", BACKUP, None),  # generated by the client
    ]
    for webhook_type, product, secret in webhooks:
        api.create(
            webhook_type,
            f"{vendor_url}/",
            {"product.id": product},
            description=f"{webhook_type} for {product}",
            secret=secret,
        )


def _run_case(api: httpx.Client, simulator: Simulator, case: Case) -> Row:
    response = api.post(VALIDATE_PATH, json=case.order)
    entry = next(
        (e for e in simulator.store.history() if e.get("objectId") == case.order["id"]), {}
    )
    return Row(
        case=case,
        status=response.status_code,
        outcome=response.headers.get("x-simulator-outcome", "?"),
        webhook_type=entry.get("webhookType"),
        vendor=entry.get("httpStatusCode"),
        changes=list(entry.get("changes") or []),
        error=entry.get("error"),
        vendor_status=entry.get("vendorStatus"),
        answer=entry.get("answer"),
    )


def check(rows: list[Row]) -> list[str]:
    """What did not go as expected, one sentence per problem (empty: all good)."""
    problems = []
    for row in rows:
        case = row.case
        if row.outcome != case.outcome:
            problems.append(f"{case.title}: outcome {row.outcome}, expected {case.outcome}.")
        if row.status != case.status:
            problems.append(f"{case.title}: the caller got {row.status}, expected {case.status}.")
        if row.vendor != case.vendor:
            problems.append(f"{case.title}: the call was {row.vendor}, expected {case.vendor}.")
        if case.changed and not any(case.changed in c.get("path", "") for c in row.changes):
            problems.append(f"{case.title}: no change at {case.changed}.")
    return problems


def _vendor_cell(row: Row) -> str:
    if row.vendor is None:
        return "-"
    if row.vendor_status is None:
        return f"{row.vendor} (no answer)"
    return f"{row.vendor_status} {row.vendor}"


def _changed_cell(row: Row) -> str:
    if row.changes:
        return "; ".join(describe(change, width=90) for change in row.changes)
    if row.outcome == "vendor_error" and row.answer:
        return f"nothing; the vendor said {' '.join(row.answer.split())[:80]}"
    if row.outcome in ("timeout", "unreachable", "unparseable", "wrong_object"):
        return "nothing (the order is returned unchanged)"
    return "nothing"


def format_table(rows: list[Row]) -> str:
    """The rows as an aligned text table."""
    header = ("ORDER", "CASE", "WEBHOOK TYPE", "VENDOR", "OUTCOME", "CALLER", "WHAT CHANGED")
    lines = []
    for row in rows:
        changed = _changed_cell(row)
        lines.append(
            (
                str(row.case.order["id"]),
                row.case.title,
                row.webhook_type or "-",
                _vendor_cell(row),
                row.outcome,
                str(row.status),
                changed,
            )
        )
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header) - 1)]
    out = []
    for line in [header, *lines]:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        out.append("  ".join([*cells, line[-1]]).rstrip())
    return "\n".join(out)


def _statistics(api: WebhooksClient) -> list[dict[str, Any]]:
    shown = []
    for webhook in api.list(select="+statistics,+lastCall"):
        wire = webhook.to_dict()
        last_call = wire.get("lastCall") or {}
        shown.append(
            {
                "id": wire["id"],
                "type": wire["type"],
                "object": wire["object"],
                "status": wire["status"],
                "statistics": wire["statistics"],
                # headers and response are on the dashboard; they make the printout unreadable.
                "lastCall": {
                    k: v for k, v in last_call.items() if k not in ("headers", "response")
                },
            }
        )
    return shown


def _wait_for_interrupt() -> None:
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


def run_demo(*, keep_running: bool = False, out: TextIO = sys.stdout) -> int:
    """Run the demo; 0 when every outcome was as expected, 1 otherwise (the problems are
    printed). ``keep_running`` leaves the simulator and the vendor up until Ctrl-C."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="receiver-demo-") as tmp:
        simulator = create_simulator(
            db=Path(tmp) / "simulator.db",
            allow_http=True,
            call_timeout=DEMO_CALL_TIMEOUT,
            retry_delay=0.2,
        )
        try:
            return _run(simulator, keep_running, out, started)
        finally:
            simulator.close()


def _run(simulator: Simulator, keep_running: bool, out: TextIO, started: float) -> int:
    product_secrets = {ACME: secrets.token_urlsafe(32), BACKUP: secrets.token_urlsafe(32)}
    release = threading.Event()
    print_ = _printer(out)
    with ServerThread(simulator) as platform:
        vendor_app = make_vendor_app(
            api_base_url=platform.url,
            api_token=simulator.token,
            product_secrets=product_secrets,
            release=release,
        )
        with ServerThread(vendor_app, graceful=1) as vendor, _released(release):
            print_(f"Simulator (the platform) on {platform.url}; demo vendor on {vendor.url}")
            headers = {"Authorization": f"Bearer {simulator.token}"}
            with (
                WebhooksClient(platform.url, simulator.token) as webhooks,
                httpx.Client(base_url=platform.url, headers=headers, timeout=30) as api,
            ):
                _register(webhooks, vendor.url, product_secrets)
                print_(f"Registered 4 webhooks; validating {len(CASES)} orders...\n")
                rows = [_run_case(api, simulator, case) for case in CASES]
                release.set()
                print_(format_table(rows))
                print_("\nWebhook statistics (GET .../webhooks?select=+statistics,+lastCall):")
                print_(json.dumps(_statistics(webhooks), indent=2))
            problems = check(rows)
            took = time.monotonic() - started
            if problems:
                print_(f"\n{len(problems)} unexpected outcome(s):")
                for problem in problems:
                    print_(f"  - {problem}")
            else:
                print_(f"\nEvery outcome was as expected ({took:.1f} s).")
            if keep_running:
                print_(
                    f"\nDashboard: {platform.url}/   API token: {simulator.token}\n"
                    f"Vendor: {vendor.url}/   Press Ctrl-C to stop."
                )
                _wait_for_interrupt()
    return 1 if problems else 0


@contextmanager
def _released(release: threading.Event) -> Iterator[None]:
    """Let the slow handler go when the demo ends, however it ends (else the vendor's server
    would wait for it)."""
    try:
        yield
    finally:
        release.set()


def _printer(out: TextIO) -> Callable[[str], None]:
    def print_(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    return print_
