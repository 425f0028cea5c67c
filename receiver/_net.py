"""Which hosts are this machine: the one loopback rule of the simulator's webhook URLs and the
platform client's ``http://`` base URLs."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1 (with or without brackets).

    >>> is_loopback("127.1.2.3"), is_loopback("[::1]"), is_loopback("10.0.0.1")
    (True, True, False)
    """
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
