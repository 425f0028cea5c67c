"""``receiver simulate``: serve the simulator with uvicorn and say how to use it.

serve_simulator(port=8090, db="simulator.db", allow_http=True)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Final, TextIO

import uvicorn

from receiver._net import is_loopback
from receiver.simulator._server import bind_socket, url_of
from receiver.simulator.api import WEBHOOKS_PATH
from receiver.simulator.app import Simulator, create_simulator

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8090


def banner(simulator: Simulator, url: str) -> str:
    """What ``receiver simulate`` prints when it starts: where things are, and the token."""
    where = str(simulator.store.path) if simulator.store.path is not None else "in memory"
    http = "http:// to loopback allowed" if simulator.allow_http else "https:// URLs only"
    hosts = ", ".join(("localhost, 127.0.0.0/8, [::1]", *simulator.allowed_hosts))
    return "\n".join(
        [
            f"MPT platform simulator on {url}",
            f"  dashboard    {url}/",
            f"  Webhook API  {url}{WEBHOOKS_PATH}",
            f"  validate     POST {url}/public/v1/commerce/orders/validate",
            f"  API token    {simulator.token}",
            f"  database     {where}",
            f"  webhook URLs {http}; call timeout {simulator.call_timeout:g} s",
            f"  Host names   {hosts} (--allowed-host adds one)",
            "",
            "For `receiver webhooks`, ctx.platform and ProductSecrets (the platform API):",
            f"  export MPT_API_BASE_URL={url} MPT_API_TOKEN={simulator.token}",
            "",
        ]
    )


def serve_simulator(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    db: str | Path | None = None,
    token: str | None = None,
    allow_http: bool = False,
    call_timeout: float = 10.0,
    retry_delay: float = 1.0,
    allowed_hosts: Iterable[str] = (),
    out: TextIO | None = None,
) -> None:
    """Serve a simulator on ``host:port`` until interrupted; print its URLs and API token first.

    ``port=0`` picks a free port. A host that is not loopback gets a warning: the dashboard has
    no authentication. Requests must name a loopback host or one of ``allowed_hosts`` in their
    ``Host`` header (see :mod:`receiver.simulator.hosts`). ``out`` defaults to the
    ``sys.stdout`` of the moment (click's test runner replaces it).
    """
    out = sys.stdout if out is None else out
    simulator = create_simulator(
        db=db,
        token=token,
        allow_http=allow_http,
        call_timeout=call_timeout,
        retry_delay=retry_delay,
        allowed_hosts=allowed_hosts,
    )
    sock = bind_socket(host, port)
    url = url_of(sock)
    out.write(banner(simulator, url))
    if not is_loopback(host):
        out.write(
            f"WARNING: listening on {host}, not loopback: anyone who can reach it sees the"
            " dashboard (no authentication) and can call the API with the token.\n"
        )
        if not simulator.allowed_hosts:
            out.write(
                "Only requests to a loopback name are answered; add --allowed-host NAME for"
                " each name or address clients use to reach it.\n"
            )
    out.flush()
    config = uvicorn.Config(simulator, lifespan="on", ws="none", log_level="info")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        simulator.close()
