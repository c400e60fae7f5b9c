"""Users' verdicts on answers, kept durably: SQLite in the index directory (FAISS), or a Milvus
collection beside the index's when replicas share a Milvus server (each replica then reads all).

A store holds at most max_entries: beyond, a new verdict replaces the oldest anonymous ones (those not
sent by a key holder); only when key holders sent them all is it refused (FeedbackFull). An entry is
at most MAX_ENTRY_BYTES as stored (InvalidFeedback beyond)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Literal, Protocol

from groundqa.errors import FeedbackFull, InvalidFeedback

Verdict = Literal["correct", "wrong", "not_found_but_should"]
VERDICTS: tuple[str, ...] = ("correct", "wrong", "not_found_but_should")
MAX_ENTRY_BYTES = 6 * 1024  # the longest plain-text verdict the API's fields allow is about 5.4 KB


@dataclasses.dataclass(frozen=True)
class Feedback:
    """One verdict. `answer` None: the service said "not found" (then doc_id, start and end are None)."""

    question: str
    verdict: Verdict
    answer: str | None = None
    doc_id: str | None = None
    start: int | None = None
    end: int | None = None
    note: str = ""
    id: str = ""  # given by the store: sorts by the time it was received
    received: float = 0.0  # Unix time
    # Given by the server, hashed: "key:..." a key holder (the admin key or the collection's write key),
    # "ip:..." anyone else, by address. None: not recorded (verdicts stored before senders were).
    sender: str | None = None

    @property
    def from_key_holder(self) -> bool:
        return (self.sender or "").startswith("key:")

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


class FeedbackStore(Protocol):
    location: str

    def add(self, feedback: Feedback) -> Feedback:
        """Store it (FeedbackFull beyond the limit); returns it with its id and time."""

    def page(self, offset: int, limit: int) -> tuple[int, list[Feedback]]:
        """(total, entries offset..offset+limit), oldest first."""

    def close(self) -> None: ...


_clock = {"last": 0}
_clock_lock = threading.Lock()


def stamped(feedback: Feedback) -> Feedback:
    """With its id: the time in ns first (strictly increasing within a process), so ids sort by
    arrival in every backend; the random part keeps replicas' ids apart."""
    with _clock_lock:
        _clock["last"] = now = max(time.time_ns(), _clock["last"] + 1)
    return dataclasses.replace(feedback, id=f"{now:019d}-{uuid.uuid4().hex[:8]}", received=now / 1e9)


def encoded(feedback: Feedback) -> str:
    """The entry as stored (JSON), or InvalidFeedback when it is longer than MAX_ENTRY_BYTES."""
    body = json.dumps(feedback.to_json(), ensure_ascii=False)
    size = len(body.encode())
    if size > MAX_ENTRY_BYTES:
        raise InvalidFeedback(f"this verdict takes {size} bytes; at most {MAX_ENTRY_BYTES}: "
                              "shorten the question or the note")
    return body


def full(max_entries: int) -> FeedbackFull:
    return FeedbackFull(f"the feedback store holds its maximum of {max_entries} entries, all from key holders")


def all_feedback(read_page: Callable[[int, int], tuple[int, list[Feedback]]], size: int = 1000) -> list[Feedback]:
    """Every entry, a page at a time: from a store (store.page) or a server (Client.feedback)."""
    entries: list[Feedback] = []
    while True:
        total, page = read_page(len(entries), size)
        entries.extend(page)
        if not page or len(entries) >= total:
            return entries


# Entries not from a key holder, in SQL (the sender is in the JSON body).
ANONYMOUS = "substr(coalesce(json_extract(body, '$.sender'), ''), 1, 4) != 'key:'"


class SqliteFeedback:
    """The database is opened on first use (a collection that only answers holds no descriptor for
    it) and closed with the collection."""

    def __init__(self, path: Path, max_entries: int) -> None:
        self.path = path
        self.location = str(path)
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._closed = False

    def _open(self) -> sqlite3.Connection:
        """The connection (opened if need be); call with the lock held."""
        if self._closed:  # never again: a deleted collection's folder must not come back
            raise sqlite3.ProgrammingError(f"the feedback store {self.location} is closed")
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=5000")  # several servers on one index directory take turns
            db.execute("CREATE TABLE IF NOT EXISTS feedback (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
            self._db = db
        return self._db

    def add(self, feedback: Feedback) -> Feedback:
        feedback = stamped(feedback)
        body = encoded(feedback)
        with self._lock:
            db = self._open()
            with db:  # one transaction: the oldest make room only if the new one is stored
                db.execute("BEGIN IMMEDIATE")
                (count,) = db.execute("SELECT count(*) FROM feedback").fetchone()
                excess = count + 1 - self.max_entries
                if excess > 0:
                    oldest = db.execute(f"SELECT id FROM feedback WHERE {ANONYMOUS} ORDER BY id LIMIT ?",
                                        (excess,)).fetchall()
                    if len(oldest) < excess:
                        raise full(self.max_entries)
                    db.executemany("DELETE FROM feedback WHERE id = ?", oldest)
                db.execute("INSERT INTO feedback VALUES (?, ?)", (feedback.id, body))
        return feedback

    def page(self, offset: int, limit: int) -> tuple[int, list[Feedback]]:
        with self._lock:
            db = self._open()
            (total,) = db.execute("SELECT count(*) FROM feedback").fetchone()
            rows = db.execute("SELECT body FROM feedback ORDER BY id LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        return total, [Feedback(**json.loads(body)) for (body,) in rows]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None


class MilvusFeedback:
    """Rows of the collection <prefix>_feedback: the id and the entry as JSON."""

    def __init__(self, client, prefix: str, max_entries: int) -> None:
        """`client`: the index catalog's connection (a Milvus Lite file admits only one)."""
        from groundqa.index.milvus_store import ensure_json_collection

        self.location = f"Milvus collection {prefix}_feedback"
        self.max_entries = max_entries
        self._client = client
        self._name = f"{prefix}_feedback"
        ensure_json_collection(client, self._name, "id", 64)

    def _ids(self) -> list[str]:
        from groundqa.index.milvus_store import scan

        return sorted(row["id"] for row in scan(self._client, self._name, 'id != ""', ["id"]))

    def add(self, feedback: Feedback) -> Feedback:
        feedback = stamped(feedback)
        body = encoded(feedback)
        ids = self._ids()
        excess = len(ids) + 1 - self.max_entries
        if excess > 0:
            oldest = self._oldest_anonymous(ids, excess)
            if len(oldest) < excess:
                raise full(self.max_entries)
            self._client.delete(self._name, ids=oldest)
        self._client.insert(self._name, [{"id": feedback.id, "body": body, "unused": [0.0, 0.0]}])
        return feedback

    def _oldest_anonymous(self, ids: list[str], wanted: int, batch: int = 1000) -> list[str]:
        found: list[str] = []
        for start in range(0, len(ids), batch):
            rows = self._client.get(self._name, ids=ids[start:start + batch], output_fields=["id", "body"])
            bodies = {row["id"]: row["body"] for row in rows}
            found += [i for i in ids[start:start + batch]
                      if i in bodies and not Feedback(**json.loads(bodies[i])).from_key_holder]
            if len(found) >= wanted:
                break
        return found[:wanted]

    def page(self, offset: int, limit: int) -> tuple[int, list[Feedback]]:
        ids = self._ids()
        wanted = ids[offset:offset + limit]
        rows = self._client.get(self._name, ids=wanted, output_fields=["id", "body"]) if wanted else []
        bodies = {row["id"]: row["body"] for row in rows}
        return len(ids), [Feedback(**json.loads(bodies[i])) for i in wanted if i in bodies]

    def close(self) -> None:
        pass  # the connection is the catalog's
