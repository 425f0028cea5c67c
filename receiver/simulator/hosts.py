"""Which ``Host`` names the simulator answers: loopback ones, and those it is told to.

A page on any web site can point its own name at 127.0.0.1 (DNS rebinding) and have the
browser call ``http://evil.example:8090/``: the browser sends ``Host: evil.example`` and lets
the page read the answer as its own. Answering only the names the simulator is really reached
by (``localhost``, 127.0.0.0/8, ``[::1]``, with any port) closes that; any other name is a 400.

Starlette's ``TrustedHostMiddleware`` is not used: it has no address ranges (127.0.0.0/8 is
sixteen million names), its answer is plain text rather than ProblemDetails, and before
Starlette 0.47 it cut ``[::1]:8090`` at the first colon.

    >>> hosts = AllowedHosts(["Sim.Internal"])
    >>> hosts.allows("localhost:8090"), hosts.allows("127.1.2.3"), hosts.allows("[::1]:80")
    (True, True, True)
    >>> hosts.allows("sim.internal:8090"), hosts.allows("evil.example"), hosts.allows(None)
    (True, False, False)
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Final

from receiver._net import is_loopback
from receiver.errors import ConfigurationError
from receiver.simulator.problems import Problem, excerpt

ANY: Final = "*"
MAX_HOST_LENGTH: Final = 255
# host[:port] or [ipv6][:port], as RFC 9110 writes a Host header.
_HOST_HEADER: Final = re.compile(
    r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[^\[\]:/@\s,]+))(?::[0-9]{1,5})?"
)
# Labels of letters, digits, - and _ (container names have them), separated by dots.
_NAME: Final = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")


class AllowedHosts:
    """Loopback names plus ``names`` (host names or IP addresses, no port; ``*`` for any).

    A name that is neither is a :class:`~receiver.errors.ConfigurationError`.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        if isinstance(names, str):  # a string is an iterable of one-letter names
            raise ConfigurationError(
                f"allowed_hosts must be a list of names, not the string {names!r}:"
                f" write [{names!r}]."
            )
        self.names = tuple(dict.fromkeys(_configured(name) for name in names))
        self.any = ANY in self.names

    def allows(self, host_header: str | None) -> bool:
        """Whether a request with this ``Host`` header (None: none) is answered."""
        if self.any:
            return True
        name = host_of(host_header) if host_header is not None else None
        return name is not None and (is_loopback(name) or name in self.names)

    def refusal(self, host_header: str | None) -> Problem:
        """The 400 for a request whose ``Host`` is not allowed."""
        given = "no Host header" if host_header is None else f"Host {excerpt(host_header)}"
        others = f", {', '.join(self.names)}" if self.names else ""
        return Problem(
            400,
            f"The request has {given}; this simulator answers localhost, 127.0.0.0/8 and [::1]"
            f"{others} (any port) only, so that no web page can read it through DNS"
            " rebinding. To reach it by another name, start it with --allowed-host NAME"
            " (create_simulator(allowed_hosts=[...])).",
        )


def host_of(host_header: str) -> str | None:
    """The name in a ``Host`` header: lowercase, without the port, the brackets of an IPv6
    address or a final dot, an address in its short form; None when it is not a Host value.

    >>> host_of("LocalHost.:8090"), host_of("[0:0::1]:8090"), host_of("a b"), host_of("::1")
    ('localhost', '::1', None, None)
    """
    match = _HOST_HEADER.fullmatch(host_header) if len(host_header) <= MAX_HOST_LENGTH else None
    if match is None:
        return None
    if match["v6"] is not None:
        try:
            return str(ipaddress.IPv6Address(match["v6"]))
        except ValueError:
            return None
    return _address_or_name(match["name"].lower().removesuffix("."))


def _configured(name: str) -> str:
    """A name given to ``allowed_hosts``, in the form :func:`host_of` gives."""
    if name == ANY:
        return ANY
    # Not bytes: ip_address() reads four bytes as a packed address.
    text = name.strip().lower().removesuffix(".") if isinstance(name, str) else ""
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if len(text) > MAX_HOST_LENGTH or not _NAME.fullmatch(text):
        raise ConfigurationError(
            f"allowed_hosts: {name!r} is not a host name or an IP address. Give names like"
            " 'simulator.internal' or '192.0.2.7', without a scheme or a port, or '*' to"
            " answer any Host (only behind a proxy that checks it)."
        )
    return text


def _address_or_name(text: str) -> str:
    # An address compares in its short form: 127.000.0.1 is not one, [0:0::1] is ::1.
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text
