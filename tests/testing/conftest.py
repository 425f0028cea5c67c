"""Shared fixtures of the receiver.testing suite: a pass-through receiver for every webhook type,
and the same receiver served over loopback HTTP (and HTTPS with a self-signed certificate)."""

from __future__ import annotations

import datetime
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from receiver import Receiver
from receiver.types import KNOWN_WEBHOOK_TYPES

SECRET = "testing-secret-testing-secret-000001"
WEBHOOK_ID = "WBH-7000-0001"


def passthrough_receiver(**options: Any) -> Receiver:
    """A receiver that answers every webhook type with the object as it came."""
    app = Receiver(secrets={WEBHOOK_ID: SECRET}, **options)
    for webhook_type in KNOWN_WEBHOOK_TYPES:
        app.add_handler(webhook_type, lambda obj: obj)
    return app


@pytest.fixture(scope="session")
def passthrough_app() -> Receiver:
    return passthrough_receiver()


class LiveServer:
    """uvicorn serving an app on a free loopback port, in a thread; bounded start and stop."""

    def __init__(self, app: Any, **ssl: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on", ws="none", http="h11", **ssl
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start within 10 s")
            time.sleep(0.005)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        assert not self.thread.is_alive(), "uvicorn did not stop within 10 s"


@pytest.fixture(scope="session")
def live_url() -> Iterator[str]:
    """http://127.0.0.1:<port>/ serving its own pass-through receiver."""
    with LiveServer(passthrough_receiver()) as live:
        yield f"http://127.0.0.1:{live.port}/"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture(scope="session")
def live_tls_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """https://127.0.0.1:<port>/ with a self-signed certificate (a vendor's dev server)."""
    cert_file, key_file = self_signed(tmp_path_factory.mktemp("tls"))
    app = passthrough_receiver()
    with LiveServer(app, ssl_certfile=str(cert_file), ssl_keyfile=str(key_file)) as live:
        yield f"https://127.0.0.1:{live.port}/"
