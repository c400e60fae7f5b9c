"""Document ids as users send them, and messages fit for clients."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from groundqa.errors import InvalidDocument

_DOC_ID = re.compile(r"[^\x00-\x1f\x7f]{1,256}")
# Bidirectional controls make an id display as another (U+202E turns "evil\u202etxt.exe" around).
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~])/(?:[^\s/'\"]+/)+([^\s/'\"]*)")


def normalize_doc_id(doc_id: str) -> str:
    """One id for one name however its characters were composed or which of their look-alike forms
    were typed (NFKC: full-width "ｒｅｐｏｒｔ" is "report", the ligature "ﬁ" is "fi")."""
    return unicodedata.normalize("NFKC", doc_id)


def validate_doc_id(doc_id: str) -> str:
    """The id in normal form, or InvalidDocument saying what is wrong with it."""
    doc_id = normalize_doc_id(doc_id)
    if not _DOC_ID.fullmatch(doc_id) or doc_id != doc_id.strip():
        raise InvalidDocument("doc_id must be 1 to 256 printable characters without surrounding spaces")
    if _BIDI_CONTROLS.search(doc_id):
        raise InvalidDocument("doc_id must not contain bidirectional control characters")
    if any(unicodedata.category(char) == "Cf" for char in doc_id):  # zero-width spaces and joiners, soft hyphens
        raise InvalidDocument("doc_id must not contain invisible format characters (zero-width spaces or "
                              "joiners, soft hyphens): an id must read as what it is")
    if doc_id.startswith("/") or {".", ".."} & set(doc_id.split("/")):
        raise InvalidDocument("doc_id must not start with '/' or contain '.' or '..' segments")
    return doc_id


def validate_title(title: str) -> str:
    """The title, or InvalidDocument if it holds bidirectional controls (as ids may not)."""
    if _BIDI_CONTROLS.search(title):
        raise InvalidDocument("title must not contain bidirectional control characters")
    return title


def without_paths(message: str) -> str:
    """A message fit for clients: absolute paths cut to their last part (the server log keeps them)."""
    return _ABSOLUTE_PATH.sub(lambda match: ".../" + match.group(1), message)


def content_doc_id(text: str) -> str:
    return "doc-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
