"""A small web site on the loopback interface, served from a thread: pages by path, ETag and
Last-Modified with conditional answers (304), robots.txt, a sitemap, and a log of every request."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Mon, 06 May 2024 09:00:00 GMT"


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict = field(default_factory=dict)
    delay_s: float = 0.0  # before answering


@dataclass
class Request:
    path: str
    headers: dict
    at: float


class Site:
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[Request] = []
        self.url = ""

    def page(self, path: str, html: str, **kwargs) -> None:
        self.pages[path] = Page(html.encode("utf-8"), **kwargs)

    def requested(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]


def help_site(site: Site) -> None:
    """Three help pages under /help/ (one listed only in the sitemap), a private page robots.txt
    forbids, a blog page outside the prefix, a sitemap and robots.txt."""
    nav = '<nav><a href="/help/">Help home</a> <a href="/blog/news.html">Blog</a></nav>'
    site.page("/robots.txt", f"User-agent: *\nDisallow: /help/private/\nSitemap: {site.url}/sitemap.xml\n",
              content_type="text/plain")
    site.page("/help/", f"<html><head><title>Nimbus Help Center</title></head><body>{nav}<main>"
                        "<h1>Nimbus Help Center</h1><p>Answers about your Nimbus thermostat.</p>"
                        '<ul><li><a href="billing.html">Billing</a></li><li><a href="private/staff.html">Staff</a></li>'
                        '<li><a href="https://elsewhere.example/x.html">Partner</a></li></ul></main></body></html>')
    site.page("/help/billing.html", f"<html><head><title>Billing</title></head><body>{nav}<main><h1>Billing</h1>"
                                    "<p>Invoices are sent on the first business day of each month.</p>"
                                    "<h2>Late payments</h2><p>A late payment fee of $7.50 is added after 14 days."
                                    "</p></main></body></html>")
    site.page("/help/returns.html", "<html><head><title>Returns</title></head><body><main><h1>Returns</h1>"
                                    "<p>Unopened thermostats can be returned within 45 days of delivery.</p>"
                                    "</main></body></html>")
    site.page("/help/private/staff.html", "<p>Staff only: the door code is 4471.</p>")
    site.page("/blog/news.html", "<p>Blog news outside the help pages.</p>")
    site.page("/sitemap.xml", '<?xml version="1.0" encoding="UTF-8"?>\n'
                              '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                              f"<url><loc>{site.url}/help/</loc></url>"
                              f"<url><loc>{site.url}/help/billing.html</loc></url>"
                              f"<url><loc>{site.url}/help/returns.html</loc></url></urlset>",
              content_type="application/xml")


def _handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            site.requests.append(Request(self.path, dict(self.headers.items()), time.monotonic()))
            page = site.pages.get(self.path)
            if page is None:
                return self._answer(404, {"Content-Type": "text/plain"}, b"not found")
            if page.delay_s:
                time.sleep(page.delay_s)
            etag = '"' + hashlib.sha256(page.body).hexdigest()[:16] + '"'
            headers = {"Content-Type": page.content_type, "ETag": etag, "Last-Modified": LAST_MODIFIED, **page.headers}
            if page.status == 200 and self.headers.get("If-None-Match") == etag:
                return self._answer(304, {"ETag": etag}, b"")
            return self._answer(page.status, headers, page.body if page.status != 301 else b"")

        def _answer(self, status, headers, body):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


@contextlib.contextmanager
def serving():
    """A Site served on 127.0.0.1 (a free port) until the block ends."""
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
