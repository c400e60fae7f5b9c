"""A document as a page with one cited span highlighted and scrolled into view: every citation
checkable in one click. The document's text is escaped, never markup; the page runs one script of
its own (the scroll) and its CSP allows nothing else."""

from __future__ import annotations

import base64
import hashlib
import html

from groundqa.index.types import Document
from groundqa.service.types import safe_url

SCROLL_SCRIPT = 'document.getElementById("cited")?.scrollIntoView({block:"center"});'
STYLE = ("body{margin:0;font:16px/1.6 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328;"
         "background:#f6f8fa}header{padding:14px 20px;background:#fff;border-bottom:1px solid #d0d7de}"
         "h1{font-size:20px;margin:0 0 4px}.where{color:#59636e;font-size:13.5px}.where a{color:#0b57d0}"
         "main{max-width:820px;margin:16px auto;padding:20px 24px;background:#fff;border:1px solid #d0d7de;"
         "border-radius:10px;white-space:pre-wrap;overflow-wrap:anywhere}"
         "mark{background:#fff2a8;outline:2px solid #f9ab00;border-radius:2px}")


def _source_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


CSP = (f"default-src 'none'; script-src {_source_hash(SCROLL_SCRIPT)}; style-src {_source_hash(STYLE)}; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def render(document: Document, start: int | None, end: int | None) -> str:
    text = document.text
    if start is None or end is None:
        body, where = html.escape(text), f"{len(text)} characters"
    else:
        body = (html.escape(text[:start]) + '<mark id="cited">' + html.escape(text[start:end]) + "</mark>"
                + html.escape(text[end:]))
        where = f"the cited text is highlighted (characters {start} to {end})"
    link = safe_url(document.meta.get("url"))
    original = f' · <a href="{html.escape(link)}" rel="noopener noreferrer">original</a>' if link else ""
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{html.escape(document.title or document.doc_id)}</title><style>{STYLE}</style></head><body>"
            f"<header><h1>{html.escape(document.title or document.doc_id)}</h1>"
            f"<div class=\"where\">{html.escape(document.doc_id)} · {where}{original}</div></header>"
            f"<main>{body}</main><script>{SCROLL_SCRIPT}</script></body></html>")
