"""Webhook ids: which ids may be looked up at all.

The ``webhook_id`` claim is read before the token's signature can be checked, so it is hostile:
an id that could not be a webhook id is answered as unknown by every source, never looked up.
"""

from __future__ import annotations

import re

WEBHOOK_ID_MAX_LENGTH = 64
_WEBHOOK_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
# The rule above in words, for messages that refuse a configured id.
ID_RULE = "1-64 characters: letters, digits, '_', '.', ':' or '-', starting with a letter or digit"


def is_plausible_webhook_id(value: object) -> bool:
    """Whether ``value`` could be a webhook id; anything else is answered as unknown, unlooked-up.

    >>> is_plausible_webhook_id("WBH-5433-8787")
    True
    >>> is_plausible_webhook_id("../../admin"), is_plausible_webhook_id("W" * 65)
    (False, False)
    """
    return (
        isinstance(value, str)
        and 0 < len(value) <= WEBHOOK_ID_MAX_LENGTH
        and _WEBHOOK_ID_RE.fullmatch(value) is not None
    )
