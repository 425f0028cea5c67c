"""The dashboard at ``/``: one server-rendered HTML page, no script, no external asset.

It lists the webhooks (status, statistics, last call, last success and failure) and the recent
calls (the object, the vendor's HTTP status, the outcome, what changed, the answer). It
refreshes itself with ``<meta http-equiv="refresh">`` every 5 seconds; ``/?refresh=0`` stops
that (to read a long answer), ``/?refresh=N`` sets the interval (0 to 3600 seconds; anything
else is a 400 Problem).

It needs no token: the simulator is a local development tool bound to loopback, and the page
shows no secret and no API token. Everything that came from outside (URLs, descriptions,
vendor answers, object ids) is HTML-escaped, and a Content-Security-Policy forbids scripts
should something slip through.

    >>> from receiver.simulator.store import Store
    >>> store = Store(None)
    >>> "No webhooks yet" in render(store, refresh=0)
    True
    >>> store.close()
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from receiver.simulator._http import whole_number
from receiver.simulator.api import WEBHOOKS_PATH
from receiver.simulator.apply import describe
from receiver.simulator.records import WebhookRecord
from receiver.simulator.store import Store
from receiver.stats import iso_now

DEFAULT_REFRESH: Final = 5
MAX_REFRESH: Final = 3600
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none';"
    " form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_OUTCOME_CLASSES: Final = {
    "accepted": "ok",
    "refused": "warn",
    "no_webhook": "muted",
}

_STYLE: Final = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:1.5rem;color:#1d2330;
background:#f7f8fa}
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
p.meta{color:#5b6475;margin:0}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0001}
th,td{border-bottom:1px solid #e3e6eb;padding:.4rem .55rem;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{white-space:pre-wrap;word-break:break-all;max-height:18rem;overflow:auto;margin:.3rem 0 0;
background:#f3f4f7;padding:.4rem}
.badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:12px;font-weight:600;
background:#e3e6eb}
.ok{background:#d7f5df;color:#11622a}.warn{background:#fff1c9;color:#7a5300}
.bad{background:#fddede;color:#9b1c1c}.muted{background:#eceef2;color:#5b6475}
.small{color:#5b6475;font-size:12px}ul.changes{margin:0;padding-left:1.1rem}
"""


class Dashboard:
    """The ``/`` route over a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def page(self, request: Request) -> Response:
        refresh = request.query_params.get("refresh")
        seconds = (
            DEFAULT_REFRESH if refresh is None else whole_number("refresh", refresh, MAX_REFRESH)
        )
        return HTMLResponse(render(self.store, refresh=seconds), headers=SECURITY_HEADERS)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _badge(text: str, css: str) -> str:
    return f'<span class="badge {css}">{_e(text)}</span>'


def render(store: Store, *, refresh: int = DEFAULT_REFRESH) -> str:
    """The whole page. ``refresh`` is the auto-refresh interval in seconds (0: none)."""
    webhooks = store.webhooks()
    history = store.history()
    counts = store.count_objects()
    objects = ", ".join(f"{count} {kind.lower()}(s)" for kind, count in sorted(counts.items()))
    head_refresh = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    toggle = (
        f'auto-refresh every {refresh} s (<a href="/?refresh=0">stop</a>)'
        if refresh
        else f'auto-refresh off (<a href="/?refresh={DEFAULT_REFRESH}">start</a>)'
    )
    return "".join(
        [
            '<!doctype html><html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width,initial-scale=1">',
            head_refresh,
            "<title>MPT platform simulator</title>",
            f"<style>{_STYLE}</style></head><body>",
            "<header><h1>MPT platform simulator</h1>",
            f'<p class="meta">Webhook API <code>{_e(WEBHOOKS_PATH)}</code> · '
            f"{len(webhooks)} webhook(s) · {_e(objects or 'no objects yet')} · "
            f"page made {_e(iso_now())} · {toggle}</p></header>",
            "<main><h2>Webhooks</h2>",
            _webhooks_table(webhooks),
            f"<h2>Recent calls <span class='small'>(last {store.history_size})</span></h2>",
            _history_table(history),
            "</main></body></html>",
        ]
    )


def _webhooks_table(webhooks: list[WebhookRecord]) -> str:
    if not webhooks:
        return (
            '<p class="small" id="no-webhooks">No webhooks yet. Create one with'
            f" <code>POST {_e(WEBHOOKS_PATH)}</code> (Authorization: Bearer &lt;token&gt;), body"
            ' <code>{"type": "ValidatePurchaseOrderDraft", "url": "https://...",'
            ' "criteria": {"product.id": "PRD-1111-1111"}}</code>.</p>'
        )
    rows = "".join(_webhook_row(record) for record in webhooks)
    return (
        '<table id="webhooks"><thead><tr><th>Webhook</th><th>Type</th><th>Object</th>'
        "<th>Status</th><th>URL</th><th>Calls</th><th>Successes</th><th>Failures</th>"
        "<th>Failures since last success</th><th>Last call</th><th>Last success</th>"
        f"<th>Last failure</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _webhook_row(record: WebhookRecord) -> str:
    stats = record.statistics
    status = _badge(record.status, "ok" if record.enabled else "muted")
    description = f'<div class="small">{_e(record.description)}</div>' if record.description else ""
    numbers = "".join(
        f'<td class="num">{_e(stats.get(name, 0))}</td>'
        for name in ("total", "successes", "failures", "failuresSinceLastSuccess")
    )
    return (
        f'<tr id="{_e(record.id)}"><td><code>{_e(record.id)}</code>{description}</td>'
        f"<td>{_e(record.type)}</td><td><code>{_e(record.object_id)}</code></td>"
        f"<td>{status}</td><td><code>{_e(record.url)}</code></td>{numbers}"
        f"<td>{_call_cell(record.last_call)}</td><td>{_call_cell(record.last_success)}</td>"
        f"<td>{_call_cell(record.last_failure)}</td></tr>"
    )


def _call_cell(call: dict[str, Any] | None) -> str:
    if not call:
        return '<span class="small">never</span>'
    css = "ok" if call.get("success") else "bad"
    error = call.get("error")
    error_html = f'<div class="small">{_e(error)}</div>' if error else ""
    return (
        f"{_badge(str(call.get('httpStatusCode') or '?'), css)}"
        f'<div class="small">{_e(call.get("callTime"))}</div>{error_html}'
    )


def _history_table(history: list[dict[str, Any]]) -> str:
    if not history:
        return (
            '<p class="small" id="no-calls">No calls yet. Validate an order with'
            " <code>POST /public/v1/commerce/orders/validate</code>.</p>"
        )
    rows = "".join(_history_row(entry) for entry in history)
    return (
        '<table id="calls"><thead><tr><th>When</th><th>Object</th><th>Webhook</th>'
        "<th>Vendor answered</th><th>Outcome</th><th>Caller got</th><th>What changed</th>"
        f"<th>Answer</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _history_row(entry: dict[str, Any]) -> str:
    outcome = str(entry.get("outcome"))
    webhook = (
        f"<code>{_e(entry.get('webhookId'))}</code>"
        f'<div class="small">{_e(entry.get("webhookType"))}</div>'
        if entry.get("webhookId")
        else '<span class="small">none matched</span>'
    )
    vendor = ""
    if entry.get("httpStatusCode"):
        code = entry.get("vendorStatus")
        vendor = _e(entry["httpStatusCode"]) + (f" ({_e(code)})" if code else "")
        if (entry.get("attempts") or 0) > 1:
            vendor += f'<div class="small">{_e(entry["attempts"])} attempts</div>'
    if entry.get("error"):
        vendor += f'<div class="small">{_e(entry["error"])}</div>'
    answer = (
        f"<details><summary>{len(entry['answer'])} characters</summary>"
        f"<pre>{_e(_pretty(entry['answer']))}</pre></details>"
        if entry.get("answer")
        else ""
    )
    return (
        f"<tr><td class='small'>{_e(entry.get('at'))}</td>"
        f"<td><code>{_e(entry.get('objectId'))}</code>"
        f'<div class="small">{_e(entry.get("kind"))}</div></td>'
        f"<td>{webhook}</td><td>{vendor}</td>"
        f"<td>{_badge(outcome, _OUTCOME_CLASSES.get(outcome, 'bad'))}</td>"
        f"<td>{_e(entry.get('status'))}</td><td>{_changes(entry.get('changes') or [])}</td>"
        f"<td>{answer}</td></tr>"
    )


def _pretty(text: str) -> str:
    """Indented JSON when the answer is JSON (a cut-off excerpt is shown as it came)."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _changes(changes: Iterable[dict[str, Any]]) -> str:
    items = "".join(f"<li>{_e(describe(change))}</li>" for change in changes)
    return f'<ul class="changes">{items}</ul>' if items else '<span class="small">nothing</span>'
