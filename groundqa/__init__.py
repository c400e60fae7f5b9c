"""groundqa: document-grounded question answering with cited spans."""

__version__ = "0.1.0"
