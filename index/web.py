"""Fetching a web site politely: one request at a time with a pause between them, a User-Agent that
names groundqa, robots.txt honoured (urllib.robotparser), a timeout and a size limit on every response,
and sitemaps read (urlset and sitemap index, gzipped or not)."""

from __future__ import annotations

import gzip
import time
import zlib
from dataclasses import dataclass
from email.message import Message
from typing import NamedTuple
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from lxml import etree

import groundqa

AGENT = "groundqa"  # the name robots.txt rules are matched against
USER_AGENT = f"groundqa/{groundqa.__version__} (document indexer)"
MAX_REDIRECTS = 5
MAX_CRAWL_DELAY_S = 60.0  # a robots.txt Crawl-delay beyond this is taken as this
MAX_SITEMAPS = 20  # sitemaps read from one sitemap index
MAX_SITEMAP_URLS = 50_000  # as the sitemaps protocol allows in one file


@dataclass(frozen=True)
class CrawlLimits:
    max_pages: int = 200
    delay_s: float = 1.0  # between two requests to the site (robots.txt's Crawl-delay when longer)
    timeout_s: float = 15.0  # for each request, start to last byte
    max_bytes: int = 10 * 1024 * 1024  # a response body, after decompression


class Fetched(NamedTuple):
    url: str
    status: int
    headers: httpx.Headers
    body: bytes


class FetchError(Exception):
    """A request that got no usable response: a network error, a timeout, a body over the limit."""


class PoliteClient:
    """GET with a pause between requests, a deadline and a size limit. Redirects are not followed
    here: the crawler checks each hop against the site's scope and robots.txt."""

    def __init__(self, limits: CrawlLimits, transport: httpx.BaseTransport | None = None) -> None:
        self.limits = limits
        self.delay_s = limits.delay_s
        self._client = httpx.Client(headers={"User-Agent": USER_AGENT}, timeout=limits.timeout_s,
                                    follow_redirects=False, transport=transport)
        self._last = float("-inf")

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, headers: dict[str, str] | None = None) -> Fetched:
        pause = self._last + self.delay_s - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        deadline = time.monotonic() + self.limits.timeout_s
        try:
            with self._client.stream("GET", url, headers=headers or {}) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.limits.max_bytes:
                    raise FetchError(self._too_large())
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > self.limits.max_bytes:
                        raise FetchError(self._too_large())
                    if time.monotonic() > deadline:
                        raise FetchError(f"took longer than {self.limits.timeout_s:g} s")
                return Fetched(str(response.url), response.status_code, response.headers, bytes(body))
        except httpx.TimeoutException:
            raise FetchError(f"no answer within {self.limits.timeout_s:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
            raise FetchError(f"{exc.__class__.__name__}: {exc}") from None
        finally:
            self._last = time.monotonic()

    def _too_large(self) -> str:
        return f"larger than {self.limits.max_bytes // (1024 * 1024)} MiB, the limit for one page"


class SiteUnreachable(Exception):
    """robots.txt could not be read: nothing of the site may be fetched this time."""


def read_robots(client: PoliteClient, origin: str) -> RobotFileParser:
    """The site's robots.txt as urllib.robotparser reads it, with its conventions: 401 or 403 forbids
    everything, another 4xx allows everything. A server error or no answer is SiteUnreachable."""
    robots = RobotFileParser(f"{origin}/robots.txt")
    url = f"{origin}/robots.txt"
    try:
        for _ in range(MAX_REDIRECTS + 1):  # followed as urllib would (http to https, say)
            fetched = client.get(url)
            if not (300 <= fetched.status < 400 and fetched.headers.get("location")):
                break
            url = urljoin(url, fetched.headers["location"])
    except FetchError as exc:
        raise SiteUnreachable(f"robots.txt could not be fetched ({exc})") from None
    if fetched.status in (401, 403):
        robots.disallow_all = True
    elif 300 <= fetched.status < 500:
        robots.allow_all = True
    elif fetched.status >= 500:
        raise SiteUnreachable(f"robots.txt could not be fetched (HTTP {fetched.status})")
    else:
        robots.parse(fetched.body.decode("utf-8", "replace").splitlines())
    delay = robots.crawl_delay(AGENT)
    if delay:
        client.delay_s = max(client.delay_s, min(float(delay), MAX_CRAWL_DELAY_S))
    return robots


def sitemap_urls(client: PoliteClient, url: str, robots: RobotFileParser) -> list[str] | None:
    """The page URLs a sitemap lists, those of a sitemap index's sitemaps included (on the same
    host); None when `url` is no sitemap (not found, not XML)."""
    pending, urls, read = [url], [], 0
    found_one = False
    host = urlsplit(url).netloc.lower()
    while pending and read < MAX_SITEMAPS:
        current = pending.pop(0)
        read += 1
        if not robots.can_fetch(AGENT, current):
            continue
        try:
            fetched = client.get(current)
        except FetchError:
            continue
        root = _sitemap_root(fetched) if fetched.status == 200 else None
        if root is None:
            continue
        found_one = True
        locations = [urldefrag(urljoin(current, loc.text.strip()))[0] for loc in root.iter("{*}loc") if loc.text]
        if etree.QName(root).localname == "sitemapindex":
            pending.extend(loc for loc in locations if urlsplit(loc).netloc.lower() == host)
        else:
            urls.extend(locations[:MAX_SITEMAP_URLS - len(urls)])
    return list(dict.fromkeys(urls)) if found_one else None


def _sitemap_root(fetched: Fetched):
    body = fetched.body
    if body[:2] == b"\x1f\x8b":  # a .xml.gz sitemap, gzipped as a file (not as Content-Encoding)
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = inflater.decompress(body, MAX_SITEMAP_BYTES)
        except (zlib.error, gzip.BadGzipFile):
            return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return None
    return root if etree.QName(root).localname in ("urlset", "sitemapindex") else None


MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # as the sitemaps protocol allows, uncompressed


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def normalized(url: str) -> str:
    """Without its fragment; an empty path is "/"."""
    url = urldefrag(url.strip())[0]
    parts = urlsplit(url)
    return url if parts.path else parts._replace(path="/").geturl()


def content_type(fetched: Fetched) -> str:
    return fetched.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def decoded_text(fetched: Fetched) -> str:
    """The page's text, in the charset its Content-Type names, else its <meta charset>, else UTF-8."""
    header = Message()
    header["content-type"] = fetched.headers.get("content-type", "")
    charset = header.get_content_charset()
    if not charset:
        head = fetched.body[:2048].decode("ascii", "replace").lower()
        at = head.find("charset=")
        charset = head[at + 8:].lstrip("\"' ").split('"')[0].split("'")[0].split(";")[0].split(">")[0].strip() \
            if at >= 0 else ""
    try:
        return fetched.body.decode(charset or "utf-8", "replace")
    except LookupError:
        return fetched.body.decode("utf-8", "replace")


def robots_directives(root, fetched: Fetched) -> set[str]:
    """noindex / nofollow from <meta name="robots"> or <meta name="groundqa">, and X-Robots-Tag."""
    words = fetched.headers.get("x-robots-tag", "")
    if root is not None:
        for meta in root.iter("meta"):
            if (meta.get("name") or "").strip().lower() in ("robots", AGENT):
                words += "," + (meta.get("content") or "")
    directives = {word.lower() for word in words.replace(",", " ").split()}
    return directives | {"noindex", "nofollow"} if "none" in directives else directives


def page_links(root, url: str) -> list[str]:
    base = next((b.get("href") for b in root.iter("base") if b.get("href")), None)
    base = urljoin(url, base) if base else url
    found = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or "nofollow" in (anchor.get("rel") or "").lower():
            continue
        link = normalized(urljoin(base, href))
        if is_url(link):
            found.append(link)
    return list(dict.fromkeys(found))
