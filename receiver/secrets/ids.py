"""Webhook ids: which ids may be looked up at all.

The ``webhook_id`` claim is read before the token's signature can be checked, so it is hostile:
an id that could not be a webhook id is answered as unknown by every source, never looked up.
The rule is the receiver's one rule for webhook ids, defined in :mod:`receiver.wire`.

    >>> is_plausible_webhook_id("WBH-5433-8787")
    True
    >>> is_plausible_webhook_id("../../admin"), is_plausible_webhook_id("W" * 65)
    (False, False)
"""

from __future__ import annotations

from receiver.wire import WEBHOOK_ID_MAX_LENGTH, is_plausible_webhook_id
from receiver.wire import WEBHOOK_ID_RULE as ID_RULE

__all__ = ["ID_RULE", "WEBHOOK_ID_MAX_LENGTH", "is_plausible_webhook_id"]
