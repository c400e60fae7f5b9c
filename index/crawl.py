"""`groundqa index https://help.example.com/docs/`: a web site's pages as documents.

From the page given, the pages it links to on the same host under the same path prefix (the page's
folder, "/docs/"), and those they link to, breadth first, up to CrawlLimits.max_pages; with them the
site's sitemap's pages in that prefix (robots.txt's Sitemap lines, else /sitemap.xml). Given a sitemap
(".../sitemap.xml"), its pages alone. Each page's URL is its id, source and meta.url; its text is the
HTML loader's. Linked PDF, Word, Excel, PowerPoint, CSV, text and Markdown files in the prefix are read
as files are, in the sandbox (index/sandbox.py).

Indexing again fetches again, sending each page's ETag and Last-Modified back (If-None-Match,
If-Modified-Since): a page the server says is unchanged (304) is kept as it is. Pages that are gone
(404, 410), no longer reached, or forbidden by robots.txt or a robots meta tag are dropped; a page
that fails (a server error, a timeout, over the size limit) keeps its earlier version, and when
robots.txt or the first page cannot be fetched at all, nothing of the site is dropped."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Mapping
from urllib.parse import urljoin, urlsplit

from lxml import etree

from groundqa.errors import GroundQAError, InvalidDocument
from groundqa.index.ingest import Problem, ScanResult
from groundqa.index.loaders import SUPPORTED_SUFFIXES, JSONL_SUFFIXES, document_from_extracted, html_to_text
from groundqa.index.sandbox import SandboxedLoader
from groundqa.index.types import Document
from groundqa.index.web import (AGENT, MAX_REDIRECTS, CrawlLimits, FetchError, Fetched, PoliteClient,
                                SiteUnreachable, content_type, decoded_text, normalized, page_links,
                                read_robots, robots_directives, sitemap_urls)

ETAG, LAST_MODIFIED, LINKS, URL = "etag", "last_modified", "links", "url"
MAX_LINKS = 1000  # kept with a page (meta.links) to follow when it is unchanged next time
_PAGE_SUFFIXES = {"", ".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx", ".jsp", ".cfm"}
_FILE_SUFFIXES = SUPPORTED_SUFFIXES - JSONL_SUFFIXES - {".html", ".htm"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_FILE_TYPES = {"application/pdf": ".pdf", "text/plain": ".txt", "text/markdown": ".md", "text/csv": ".csv",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
               "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx"}


@dataclass(frozen=True)
class Site:
    origin: str  # "https://help.example.com"
    prefix: str  # "/docs/"

    @classmethod
    def of(cls, url: str) -> "Site":
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username or parts.password:
            raise GroundQAError(f"not a web address groundqa can index: {url!r} (http:// or https://, no user name)")
        path = parts.path or "/"
        return cls(f"{parts.scheme}://{parts.netloc}".lower(), path if path.endswith("/") else path.rsplit("/", 1)[0] + "/")

    @property
    def name(self) -> str:
        """What the ids of its pages start with (then "/"): the index remembers the site by it."""
        return self.origin + self.prefix.rstrip("/")

    def holds(self, url: str) -> bool:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}".lower() == self.origin and (parts.path or "/").startswith(self.prefix)


def crawl(url: str, previous: Mapping[str, Document], limits: CrawlLimits, sandbox: SandboxedLoader,
          transport=None) -> ScanResult:
    """The site's pages as a ScanResult for ingest.sync. `previous`: documents indexed before, by id
    (for If-None-Match and If-Modified-Since). The site is among `roots` (its pages not found this
    time are dropped) unless it could not be read at all."""
    start = normalized(url)
    site = Site.of(start)
    result = ScanResult()
    client = PoliteClient(limits, transport)
    try:
        try:
            robots = read_robots(client, site.origin)
        except SiteUnreachable as exc:
            result.problems.append(Problem(site.name, f"{exc}; nothing was fetched and its pages stay as they were"))
            return result
        crawler = _Crawler(site, client, robots, previous, sandbox, result, limits)
        if PurePosixPath(urlsplit(start).path).name.lower().endswith((".xml", ".xml.gz")):
            listed = sitemap_urls(client, start, robots)
            if listed is None:
                result.problems.append(Problem(start, "no sitemap there (not found, or not a sitemap's XML)"))
                return result
            crawler.run([u for u in map(normalized, listed) if site.holds(u)], entry=None, follow=False)
        else:
            crawler.run([start, *crawler.sitemap_pages()], entry=start)
        if not crawler.entry_failed:
            result.roots[crawler.site.name] = crawler.site.name
    finally:
        client.close()
    return result


class _Crawler:
    def __init__(self, site: Site, client: PoliteClient, robots, previous: Mapping[str, Document],
                 sandbox: SandboxedLoader, result: ScanResult, limits: CrawlLimits) -> None:
        self.site, self.client, self.robots, self.previous = site, client, robots, previous
        self.sandbox, self.result, self.limits = sandbox, result, limits
        self.seen: set[str] = set()
        self.entry_failed = False

    def sitemap_pages(self) -> list[str]:
        """The pages in the site's sitemaps (robots.txt's Sitemap lines, else /sitemap.xml) in scope."""
        listed: list[str] = []
        for sitemap in self.robots.site_maps() or [f"{self.site.origin}/sitemap.xml"]:
            if urlsplit(sitemap).netloc.lower() == urlsplit(self.site.origin).netloc:
                listed.extend(sitemap_urls(self.client, sitemap, self.robots) or [])
        return [u for u in map(normalized, listed) if self.site.holds(u)]

    def run(self, seeds: list[str], entry: str | None, follow: bool = True) -> None:
        queue: deque[str] = deque()
        for url in seeds:
            if url not in self.seen:
                self.seen.add(url)
                queue.append(url)
        visited = 0
        while queue and visited < self.limits.max_pages:
            url = queue.popleft()
            visited += 1
            links = self._visit(url, entry=url == entry)
            for link in links if follow else ():
                if link not in self.seen and self.site.holds(link) and _followable(link):
                    self.seen.add(link)
                    queue.append(link)
        if queue:
            self.result.skipped.append(Problem(self.site.name, f"stopped at {self.limits.max_pages} pages (--max-pages); "
                                                               f"{len(queue)} more were found and not fetched"))

    def _visit(self, url: str, entry: bool) -> list[str]:
        """Fetch one page (following redirects in scope) and keep what it holds; its links."""
        for _ in range(MAX_REDIRECTS + 1):
            if not self.robots.can_fetch(AGENT, url):
                self.result.skipped.append(Problem(url, "robots.txt does not allow groundqa to fetch it"))
                return []
            try:
                fetched = self.client.get(url, _conditional(self.previous.get(url)))
            except FetchError as exc:
                return self._failed(url, str(exc), entry)
            location = fetched.headers.get("location")
            if not (300 <= fetched.status < 400 and fetched.status != 304 and location):
                break
            target = normalized(urljoin(url, location))
            if entry and target == url + "/":
                self.site = Site.of(target)  # "/docs" redirected to "/docs/": the site is that folder
            if not self.site.holds(target) or (target in self.seen and target != url):
                return []
            self.seen.add(target)
            url = target
        else:
            return self._failed(url, f"more than {MAX_REDIRECTS} redirects", entry)
        if fetched.status == 304 and url in self.previous:
            self.result.documents.append(self.previous[url])
            return list(self.previous[url].meta.get(LINKS, []))
        if fetched.status in (404, 410):
            return []  # gone: an earlier version is dropped
        if fetched.status != 200:
            return self._failed(url, f"HTTP {fetched.status}", entry)
        return self._keep(url, fetched)

    def _failed(self, url: str, reason: str, entry: bool) -> list[str]:
        self.result.problems.append(Problem(url, f"{reason}; an earlier version is kept"))
        self.entry_failed = self.entry_failed or entry
        return []

    def _keep(self, url: str, fetched: Fetched) -> list[str]:
        kind = content_type(fetched)
        validators = {key: value for key, value in ((ETAG, fetched.headers.get("etag")),
                                                     (LAST_MODIFIED, fetched.headers.get("last-modified"))) if value}
        suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
        try:
            if kind in _HTML_TYPES or (not kind and suffix in _PAGE_SUFFIXES):
                return self._page(url, fetched, validators)
            suffix = _FILE_TYPES.get(kind) or (suffix if suffix in _FILE_SUFFIXES else "")
            if suffix:
                self.result.documents.append(self.sandbox.load(fetched.body, doc_id=url, source=url, suffix=suffix,
                                                               meta={URL: url, **validators}))
        except InvalidDocument as exc:
            self.result.problems.append(Problem(url, str(exc)))
        return []

    def _page(self, url: str, fetched: Fetched, validators: dict) -> list[str]:
        html = decoded_text(fetched)
        root = etree.fromstring(html.encode("utf-8"), etree.HTMLParser(encoding="utf-8", no_network=True)) \
            if html.strip() else None
        directives = robots_directives(root, fetched)
        links = [] if root is None or "nofollow" in directives else page_links(root, url)
        if "noindex" in directives:
            self.result.skipped.append(Problem(url, "the page asks not to be indexed (robots noindex)"))
            return links
        extracted = html_to_text(html)
        if not extracted.text.strip():
            self.result.skipped.append(Problem(url, "no text on the page"))
            return links
        kept = [link for link in links if self.site.holds(link)][:MAX_LINKS]
        self.result.documents.append(document_from_extracted(
            extracted, doc_id=url, source=url, format="html", meta={URL: url, **validators, LINKS: kept}))
        return links


def _conditional(document: Document | None) -> dict[str, str]:
    if document is None:
        return {}
    headers = {"If-None-Match": document.meta.get(ETAG), "If-Modified-Since": document.meta.get(LAST_MODIFIED)}
    return {name: value for name, value in headers.items() if isinstance(value, str) and value}


def _followable(url: str) -> bool:
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    return suffix in _PAGE_SUFFIXES or suffix in _FILE_SUFFIXES
