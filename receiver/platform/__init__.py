"""The platform's API from the vendor's side: a client of the Webhook API (sync and async),
RQL filters, and what ``receiver webhooks`` builds on it.

    from receiver.platform import WebhooksClient

    with WebhooksClient() as api:            # MPT_API_BASE_URL, MPT_API_TOKEN
        webhook = api.get("WBH-1234-5678")   # with statistics and the last calls
        print(webhook.statistics, webhook.last_failure)

Modules, one concept each:

    connection   the base URL and token, from arguments or MPT_API_*; http:// for loopback only
    rql          RQL filter expressions
    _operations  the API's rules without I/O: requests, pagination, answers, errors
    retry        which failures are retried, how long to wait, when to stop (tenacity)
    client       AsyncWebhooksClient and WebhooksClient: the operations over httpx
    secrets_file the RECEIVER_SECRETS file: read, merged, written atomically with mode 0600
    sync         registration as code: the webhooks an app needs vs those that exist, a plan
    rotation     a secret rotation: old + new, proved on the receiver, then set on the platform
    report       the platform's statistics beside the receiver's; --fail-when conditions
"""

from receiver.platform import rql
from receiver.platform._operations import DETAIL_SELECT, WEBHOOKS_PATH, webhook_path
from receiver.platform.client import AsyncWebhooksClient, WebhooksClient
from receiver.platform.connection import Connection, connection
from receiver.platform.retry import RetryPolicy

__all__ = [
    "DETAIL_SELECT",
    "WEBHOOKS_PATH",
    "AsyncWebhooksClient",
    "Connection",
    "RetryPolicy",
    "WebhooksClient",
    "connection",
    "rql",
    "webhook_path",
]
