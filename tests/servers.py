"""Real server processes for tests: `groundqa serve` on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Iterator

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def groundqa_server(env: dict[str, str], timeout: float = 120, log_path: str | None = None,
                    wait_until_ready: bool = True) -> Iterator[tuple[str, httpx.Response]]:
    """Start `groundqa serve`, wait for it to answer /readyz with something other than "starting"
    (or, if not `wait_until_ready`, with anything), yield (url, that response), stop it.
    The server's log goes to a file (log_path, else a temporary one): an unread pipe would fill up
    and stall the server."""
    port = free_port()
    with (open(log_path, "w+") if log_path else tempfile.TemporaryFile(mode="w+")) as log:
        process = subprocess.Popen([sys.executable, "-m", "groundqa.cli", "serve", "--port", str(port)],
                                   env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
                                   stdout=log, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}"
        try:
            yield url, _wait_ready(url, process, log, timeout, wait_until_ready)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_ready(url: str, process: subprocess.Popen, log, timeout: float, until_ready: bool) -> httpx.Response:
    """The first /readyz answer that is not "starting" (ready, or not ready for a lasting reason)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"server exited: {log.read()}")
        try:
            response = httpx.get(f"{url}/readyz", timeout=2)
            if not (until_ready and is_starting(response)):
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError("server did not start in time")


def is_starting(response: httpx.Response) -> bool:
    return response.status_code == 503 and response.json()["error"]["code"] == "starting"


@contextlib.contextmanager
def milvus_server(data_dir: str, timeout: float = 60) -> Iterator[str]:
    """`milvus-lite server` (a real Milvus gRPC server, as a cluster is reached) on a free loopback
    port; yields its URI."""
    from pymilvus import MilvusClient

    port = free_port()
    command = [sys.executable, "-c", "from milvus_lite.cmdline import main; main()",
               "server", "--data-dir", data_dir, "--host", "127.0.0.1", "--port", str(port)]
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
        uri = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise AssertionError(f"milvus-lite server exited: {log.read()}")
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise AssertionError("milvus-lite server did not start in time") from None
                    time.sleep(0.2)
            MilvusClient(uri, timeout=timeout, dedicated=True).close()
            yield uri
        finally:
            process.terminate()
            process.wait(timeout=30)
