"""The request id that ties a call's log line, record, handler context and answer together.

An incoming ``x-request-id`` is kept when it is a sane id (1 to 128 characters, letters, digits
and ``._:/+=-``); else the trace id of a W3C ``traceparent``; else one is made. The answer carries
it back in ``x-request-id``.

    >>> request_id([(b"x-request-id", b"req-42")])
    'req-42'
    >>> request_id([(b"traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")])
    '4bf92f3577b34da6a3ce929d0e0e4736'
    >>> len(request_id([(b"x-request-id", b"bad id\\n")]))
    32
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from typing import Final

_REQUEST_ID: Final = re.compile(rb"[A-Za-z0-9._:/+=-]{1,128}")
_TRACEPARENT: Final = re.compile(rb"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
_NO_TRACE: Final = b"0" * 32
# A correlation id, not a secret: the random module's generator (reseeded in a forked worker)
# instead of os.urandom, a system call on every call (several microseconds on a virtual machine).
_random_bits: Final = random.getrandbits


def request_id(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The call's request id from its headers (ASGI's lowercase names), or a new one."""
    traceparent = None
    for name, value in headers:
        if name == b"x-request-id":
            if _REQUEST_ID.fullmatch(value):
                return value.decode("ascii")
        elif name == b"traceparent":
            traceparent = value
    if traceparent is not None:
        match = _TRACEPARENT.fullmatch(traceparent.strip())
        if match and match.group(1) != _NO_TRACE:
            return match.group(1).decode("ascii")
    return f"{_random_bits(128):032x}"
