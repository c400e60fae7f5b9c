"""The one error tree. HTTP and CLI translate these in exactly one place each."""


class GroundQAError(Exception):
    """Base class: a problem the user can act on, with a one-line message."""

    code = "error"


class InvalidSettings(GroundQAError):
    """A setting (flag, GROUNDQA_* variable or groundqa.toml entry) that cannot be used."""

    code = "invalid_settings"


class InvalidQuestion(GroundQAError):
    code = "invalid_question"


class InvalidDocument(GroundQAError):
    code = "invalid_document"


class UnsupportedFormat(InvalidDocument):
    code = "unsupported_format"


class DocumentNotFound(GroundQAError):
    code = "document_not_found"


class DocumentConflict(GroundQAError):
    """POST of an id that exists (PUT replaces)."""

    code = "document_exists"


class IndexNotReady(GroundQAError):
    code = "index_not_ready"


class IndexMismatch(IndexNotReady):
    """The stored index was built with other embedding or chunking settings."""

    code = "index_mismatch"


class ModelNotFound(GroundQAError):
    code = "model_not_found"


class Overloaded(GroundQAError):
    """More work than the server takes at once; retry shortly (HTTP 503 with Retry-After)."""

    code = "overloaded"


class Starting(IndexNotReady):
    """The server is up but still loading its models and index."""

    code = "starting"


class InvalidFeedback(GroundQAError):
    """A verdict whose answer is not the text it cites, or with fields that do not fit together."""

    code = "invalid_feedback"


class FeedbackFull(GroundQAError):
    """The feedback store holds its maximum of entries (GROUNDQA_FEEDBACK_MAX_ENTRIES)."""

    code = "feedback_full"


class InvalidCollection(GroundQAError):
    code = "invalid_collection"


class CollectionNotFound(GroundQAError):
    code = "collection_not_found"


class CollectionExists(GroundQAError):
    code = "collection_exists"
