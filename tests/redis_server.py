"""A real Redis server for the tests and the benchmarks: the one CI started
(``RECEIVER_TEST_REDIS_URL``), or one started here from Debian's ``redis-server`` on a free
loopback port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

REDIS_URL_ENV = "RECEIVER_TEST_REDIS_URL"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


class RedisServer:
    """One redis-server process on 127.0.0.1 in ``workdir``; ``stop()`` (SIGKILL) and
    ``start()`` again keep the port and the directory (for outage tests). Without persistence
    by default; ``appendonly=True`` writes an AOF with ``appendfsync always`` so that a SIGKILL
    loses nothing Redis acknowledged."""

    def __init__(self, workdir: Path, port: int | None = None, *, appendonly: bool = False) -> None:
        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server).")
        self.binary = binary
        self.workdir = workdir
        self.port = port or free_port()
        self.appendonly = appendonly
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def spawn(self) -> None:
        """Start the process and return at once (``ready()`` tells when it answers)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.appendonly else [
            "--appendonly", "no"
        ]  # fmt: skip
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--protected-mode", "yes",
                "--dir", str(self.workdir),
                "--save", "",
                *persistence,
                "--logfile", str(self.workdir / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.starts += 1

    def ready(self) -> bool:
        """True when the process answers PING (not while it loads its AOF); raises if it
        exited."""
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited; see {self.workdir / 'redis.log'}")
        return ping(self.port)

    def start(self, timeout: float = 10.0) -> None:
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port} in {timeout} s")

    def stop(self) -> None:
        """SIGKILL: no shutdown, no final save; with AOF, what was fsynced stays."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None


def ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ci_redis_url() -> str | None:
    return os.environ.get(REDIS_URL_ENV) or None
