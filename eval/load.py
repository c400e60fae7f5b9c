"""`groundqa load URL`: concurrent clients asking a running server over loopback, bounded in count and time.

Each client sends its next question as soon as the last one answered (closed loop). Reports
throughput, latency percentiles and every non-200 status; 503s are counted apart, with whether
they carried Retry-After, since that is how the server says it is at capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


from groundqa.eval.stats import percentiles
from groundqa.errors import GroundQAError
from groundqa.settings import Settings


def add_load_parser(sub, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("load", parents=[common], help="load-test a running server on loopback")
    parser.add_argument("url", help="server base URL on loopback, e.g. http://127.0.0.1:8000")
    parser.add_argument("--questions", type=Path, help="questions: SQuAD JSON, gold JSONL, or one per line "
                                                       "(default: the shared SQuAD dev set)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=400, help="stop after this many requests in all")
    parser.add_argument("--duration", type=float, default=60.0, help="stop after this many seconds")
    parser.add_argument("--path", default="/v1/ask", help="endpoint: /v1/ask (POST) or /v1/search (GET)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.set_defaults(run=run_load)


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    rejected_ms: list[float] = field(default_factory=list)  # how long each 503 took to come back
    rejected_without_retry_after: int = 0
    transport_errors: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def summary(self, clients: int) -> dict:
        ok = self.statuses.get(200, 0)
        return {"clients": clients, "requests": sum(self.statuses.values()) + sum(self.transport_errors.values()),
                "ok": ok, "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "transport_errors": dict(self.transport_errors),
                "rejected_without_retry_after": self.rejected_without_retry_after,
                "seconds": round(self.seconds, 2), "ok_per_second": round(ok / self.seconds, 2) if self.seconds else 0,
                "latency_ms": _percentiles(self.latencies_ms), "rejected_latency_ms": _percentiles(self.rejected_ms)}


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        raise GroundQAError(f"cannot resolve {host!r}") from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise GroundQAError(f"load tests run against loopback only; {host!r} is not a loopback address")


async def generate_load(url: str, questions: list[str], clients: int, requests: int, duration: float,
                        path: str = "/v1/ask", timeout: float = 30.0) -> LoadResult:
    import httpx

    result = LoadResult()
    issued = 0
    deadline = time.perf_counter() + duration

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal issued
        while issued < requests and time.perf_counter() < deadline:
            question = questions[issued % len(questions)]
            issued += 1
            started = time.perf_counter()
            try:
                if path.rstrip("/").endswith("/search"):
                    response = await http.get(path, params={"q": question})
                else:
                    response = await http.post(path, json={"question": question})
            except httpx.HTTPError as exc:
                result.transport_errors[type(exc).__name__] += 1
                continue
            result.statuses[response.status_code] += 1
            if response.status_code == 200:
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
            elif response.status_code == 503:
                result.rejected_ms.append((time.perf_counter() - started) * 1000)
                result.rejected_without_retry_after += "retry-after" not in response.headers

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as http:
        begun = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        result.seconds = time.perf_counter() - begun
    return result


def run_load(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.client import Client

    require_loopback(args.url)
    questions = load_questions(args.questions)
    with Client(args.url, timeout=args.timeout) as server:  # a clear error, not a storm of failures
        ready = server.ready()
    print(f"server ready: {ready.documents} documents, {ready.chunks} chunks", file=sys.stderr)
    result = asyncio.run(generate_load(args.url.rstrip("/"), questions, args.clients, args.requests,
                                       args.duration, args.path, args.timeout))
    summary = result.summary(args.clients)
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    failed = sum(v for k, v in result.statuses.items() if k != 200) + sum(result.transport_errors.values())
    return 1 if failed else 0


def load_questions(path: Path | None) -> list[str]:
    from groundqa.eval.bench import SQUAD_DEV
    from groundqa.eval.gold import load_gold, sample

    path = path or SQUAD_DEV
    if path.suffix == ".txt":
        questions = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        questions = [q.question for q in sample(load_gold(path), 2000, seed=0)]
    if not questions:
        raise GroundQAError(f"no questions in {path}")
    return questions


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    return {**percentiles(values), "max": round(max(values), 1)}
