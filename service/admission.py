"""Admission control: a bounded number of model runs at once, a bounded queue, and a fast 503 beyond it.

Asks are CPU-bound; past the cores' capacity, more concurrent work only makes every answer slower.
So at most `concurrent` asks run, at most `queued` wait (each for at most `wait_s`), and any more
are refused at once with Overloaded, which the API turns into 503 with Retry-After.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

from groundqa.errors import Overloaded


class Admission:
    def __init__(self, concurrent: int, queued: int, wait_s: float) -> None:
        self.concurrent, self.queued, self.wait_s = concurrent, queued, wait_s
        self._slots = threading.BoundedSemaphore(concurrent)
        self._count_lock = threading.Lock()
        self._waiting = 0
        self._running = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    def refuse_if_saturated(self) -> None:
        """Every slot taken and the queue full: refuse now (a cheap early check; admit() still decides)."""
        if self._running >= self.concurrent and self._waiting >= self.queued:
            raise self._busy()

    def _busy(self) -> Overloaded:
        return Overloaded(f"server busy: {self.concurrent} questions running and {self._waiting} waiting; "
                          "retry shortly")

    @contextlib.contextmanager
    def admit(self) -> Iterator[int]:
        """Wait for a slot; yields how many asks are running, this one included."""
        if not self._slots.acquire(blocking=False):
            self._wait_for_slot()
        with self._count_lock:
            self._running += 1
            running = self._running
        try:
            yield running
        finally:
            with self._count_lock:
                self._running -= 1
            self._slots.release()

    def _wait_for_slot(self) -> None:
        with self._count_lock:
            if self._waiting >= self.queued:
                raise self._busy()
            self._waiting += 1
        try:
            admitted = self._slots.acquire(timeout=self.wait_s)
        finally:
            with self._count_lock:
                self._waiting -= 1
        if not admitted:
            raise Overloaded(f"server busy: no slot freed within {self.wait_s:g} s; retry shortly")
