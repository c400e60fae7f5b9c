"""Read untrusted files in a child process with a time and memory budget.

A hostile upload (a PDF whose streams inflate to megabytes, a page built to be slow to parse) must
not stall the server: each parse runs in a fresh Python process of its own (never a fork of the
server, whose model threads do not survive one), capped in memory and killed when it overruns.
The caller's thread waits; the event loop never does.

Protocol: one JSON line of arguments, then the file's bytes, on the child's stdin; one JSON object
on its stdout.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Any

from groundqa.errors import InvalidDocument, Overloaded, UnsupportedFormat
from groundqa.index.types import Document

log = logging.getLogger("groundqa")
_ERRORS = {"invalid_document": InvalidDocument, "unsupported_format": UnsupportedFormat}


@dataclass(frozen=True)
class ParseBudget:
    timeout_s: float = 30.0
    memory_mb: int = 1024  # on top of what the child holds once its loaders are imported
    concurrent: int = 1  # parses at once; others wait up to timeout_s for a turn, then Overloaded


class SandboxedLoader:
    """`load(...)` is `loaders.document_from_bytes(...)`, run in a child process under a budget."""

    def __init__(self, budget: ParseBudget) -> None:
        self.budget = budget
        self._turns = threading.BoundedSemaphore(budget.concurrent)

    def load(self, data: bytes, *, doc_id: str, source: str, suffix: str, meta: dict[str, Any] | None = None) -> Document:
        if not self._turns.acquire(timeout=self.budget.timeout_s):
            raise Overloaded("other uploads are being read; retry in a few seconds")
        try:
            header = json.dumps({"doc_id": doc_id, "source": source, "suffix": suffix, "meta": meta,
                                 "memory_mb": self.budget.memory_mb})
            outcome = self._run_child(header.encode() + b"\n" + data)
        finally:
            self._turns.release()
        if "error" in outcome:
            raise _ERRORS.get(outcome["error"], InvalidDocument)(outcome["message"])
        return Document(doc_id, outcome["title"], source, outcome["text"], outcome["meta"])

    def _run_child(self, stdin: bytes) -> dict[str, Any]:
        # A session of its own, so that what it starts (Tesseract, reading a scanned page) ends with it.
        child = subprocess.Popen([sys.executable, "-I", "-m", __name__], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            stdout, stderr = child.communicate(stdin, timeout=self.budget.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(child)
            child.communicate()
            raise InvalidDocument(f"reading this file took longer than {self.budget.timeout_s:g} s, the limit for "
                                  "one document (GROUNDQA_PARSE_TIMEOUT_S); nothing was added") from None
        if child.returncode == 0:
            return json.loads(stdout)
        log.warning("the process reading a file exited with status %s: %s", child.returncode,
                    stderr.decode("utf-8", "replace")[-2000:])
        raise InvalidDocument(f"reading this file failed: it needed more than {self.budget.memory_mb} MiB of "
                              "memory (GROUNDQA_PARSE_MEMORY_MB) or crashed the reader; nothing was added")


def _kill_group(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        child.kill()


def _child_main() -> int:
    header, data = sys.stdin.buffer.read().split(b"\n", 1)
    arguments = json.loads(header)
    memory_mb = arguments.pop("memory_mb")
    from groundqa.index.loaders import document_from_bytes  # imported before the cap, which counts from here

    _cap_memory(memory_mb)
    try:
        document = document_from_bytes(data, **arguments)
        outcome = {"text": document.text, "title": document.title, "meta": document.meta}
    except InvalidDocument as exc:
        outcome = {"error": exc.code, "message": str(exc)}
    except MemoryError:
        return 3
    sys.stdout.buffer.write(json.dumps(outcome).encode("ascii"))
    return 0


def _cap_memory(memory_mb: int) -> None:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        held = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = held + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


if __name__ == "__main__":
    sys.exit(_child_main())
