"""Per-client rate limit on the API (/v1/...): a token bucket per client, 429 with Retry-After.

A client is its API key when it sends the right one (hashed; keys are never kept or logged), else
its IP address: a made-up key shares its sender's bucket, so inventing keys buys no requests. Each bucket holds `per_minute` requests and refills at per_minute / 60 a second.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from typing import Callable

from fastapi import FastAPI, Request

from groundqa.service.api.errors import error_response

MAX_CLIENTS = 10_000  # buckets kept; full (idle) ones are dropped first beyond this


class TokenBuckets:
    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """0.0 if the request may go ahead, else seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > MAX_CLIENTS:
                self._forget_idle(now)
            return wait

    def _forget_idle(self, now: float) -> None:
        idle = [c for c, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.capacity]
        for client in idle:
            del self._buckets[client]


def client_key(request: Request, is_known: Callable[[str], bool]) -> str:
    key = request.headers.get("x-api-key", "")
    if key and is_known(key):
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return "ip:" + (request.client.host if request.client else "unknown")


def install(app: FastAPI, per_minute: int, is_known: Callable[[str], bool]) -> None:
    """`is_known(key)`: the key is one the server gave out (the admin key or a collection's)."""
    if per_minute <= 0:
        return
    buckets = TokenBuckets(per_minute)

    @app.middleware("http")
    async def rate_limit(request: Request, call_next):
        if request.url.path.startswith("/v1/"):
            wait = buckets.take(client_key(request, is_known))
            if wait:
                return error_response(429, "rate_limited",
                                      f"more than {per_minute} requests a minute from this client; retry later",
                                      {"Retry-After": str(math.ceil(wait))})
        return await call_next(request)
