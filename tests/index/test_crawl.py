"""`groundqa index URL`: a site on the loopback interface crawled as the README says (scope, robots.txt,
sitemap, User-Agent, pace, limits), indexed again with ETag / If-Modified-Since, pages gone dropped."""

import time

import pytest
from fpdf import FPDF

from groundqa.index.crawl import crawl
from groundqa.index.ingest import sync
from groundqa.index.sandbox import ParseBudget, SandboxedLoader
from groundqa.index.web import CrawlLimits
from tests.index.site_server import Page, help_site, serving
from tests.index.test_ingest import new_collection

FAST = CrawlLimits(delay_s=0.0)


@pytest.fixture
def site():
    with serving() as served:
        help_site(served)
        yield served


def add_links(site, html: bytes) -> None:
    page = site.pages["/help/"]
    page.body = page.body.replace(b"</main>", html + b"</main>")


def read(site, path="/help/", previous=None, limits=FAST):
    return crawl(site.url + path, previous or {}, limits, SandboxedLoader(ParseBudget(timeout_s=20)))


def test_the_page_and_the_pages_it_links_to_in_its_prefix_with_the_sitemap(site):
    found = read(site, limits=CrawlLimits(delay_s=0.1))
    ids = {document.doc_id for document in found.documents}
    assert ids == {site.url + "/help/", site.url + "/help/billing.html", site.url + "/help/returns.html"}, \
        "returns.html is linked from nowhere: the sitemap at the site's root lists it"
    for document in found.documents:
        assert document.meta["url"] == document.source == document.doc_id and document.meta["format"] == "html"
    billing = next(d for d in found.documents if d.doc_id.endswith("billing.html"))
    assert billing.title == "Billing" and "Help home" not in billing.text, "page furniture (nav) is left out"
    assert "A late payment fee of $7.50 is added after 14 days." in billing.text
    assert [s[3] for s in billing.meta["sections"]] == ["Billing", "Late payments"]
    paths = [request.path for request in site.requests]
    assert paths[0] == "/robots.txt"
    assert "/help/private/staff.html" not in paths, "robots.txt forbids it"
    assert "/blog/news.html" not in paths, "outside the path prefix"
    assert all("groundqa" in request.headers["User-Agent"] for request in site.requests)
    gaps = [b.at - a.at for a, b in zip(site.requests, site.requests[1:])]
    assert min(gaps) >= 0.09, "one request at a time, a pause between them"
    assert found.roots == {site.url + "/help": site.url + "/help"}


def test_indexing_again_sends_validators_keeps_unchanged_pages_and_drops_gone_ones(site, fake_embedder):
    collection = new_collection(fake_embedder)
    first = sync(collection, read(site), fake_embedder)
    assert len(first.upsert.added) == 3

    again = sync(collection, read(site, previous=collection.documents), fake_embedder)
    assert len(again.upsert.unchanged) == 3 and again.upsert.chunks_embedded == 0 and again.removed == []
    conditional = [r for r in site.requests if r.path == "/help/billing.html"][-1]
    assert conditional.headers.get("If-None-Match") and conditional.headers.get("If-Modified-Since")

    site.page("/help/billing.html", "<main><h1>Billing</h1><p>Invoices are sent on the 5th.</p></main>")
    del site.pages["/help/returns.html"]  # gone: 404, though the sitemap still lists it
    report = sync(collection, read(site, previous=collection.documents), fake_embedder)
    assert report.upsert.updated == [site.url + "/help/billing.html"]
    assert report.removed == [site.url + "/help/returns.html"]

    site.pages["/help/billing.html"].status = 503  # fails: its earlier version stays
    report = sync(collection, read(site, previous=collection.documents), fake_embedder)
    assert [problem.source for problem in report.problems] == [site.url + "/help/billing.html"]
    assert report.removed == [] and "the 5th" in collection.documents[site.url + "/help/billing.html"].text
    site.pages["/help/"].status = 503  # the first page fails: the site is not read, nothing is dropped
    report = sync(collection, read(site, previous=collection.documents), fake_embedder)
    assert report.removed == [] and len(collection.documents) == 2


def test_a_sitemap_given_is_read_alone_and_other_sites_are_left_alone(site, fake_embedder, tmp_path):
    collection = new_collection(fake_embedder)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("A file of a folder.")
    sync(collection, [tmp_path / "docs"], fake_embedder)
    found = read(site, "/sitemap.xml")
    assert len(found.documents) == 3 and not any(r.path == "/blog/news.html" for r in site.requests)
    report = sync(collection, found, fake_embedder)
    assert report.removed == [] and "docs/a.txt" in collection.documents


def test_limits_pages_size_and_time(site):
    site.page("/help/big.html", "<p>" + "word " * 400_000 + "</p>")
    site.page("/help/slow.html", "<p>Slow page.</p>", delay_s=3)
    add_links(site, b'<a href="big.html">big</a> <a href="slow.html">slow</a>')
    found = read(site, limits=CrawlLimits(delay_s=0, timeout_s=1, max_bytes=1024 * 1024))
    reasons = {problem.source.rsplit("/", 1)[1]: problem.reason for problem in found.problems}
    assert "larger than 1 MiB" in reasons["big.html"] and "within 1 s" in reasons["slow.html"]
    few = read(site, limits=CrawlLimits(delay_s=0, max_pages=2))
    assert len(few.documents) == 2 and any("--max-pages" in note.reason for note in few.skipped)


def test_robots_txt_unreachable_fetches_nothing_and_drops_nothing(site, fake_embedder):
    collection = new_collection(fake_embedder)
    sync(collection, read(site), fake_embedder)
    site.pages["/robots.txt"].status = 500
    found = read(site, previous=collection.documents)
    assert found.documents == [] and found.roots == {} and "robots.txt" in found.problems[0].reason
    assert sync(collection, found, fake_embedder).removed == []


def test_robots_txt_forbidding_everything_and_noindex_pages(site):
    site.page("/robots.txt", "User-agent: groundqa\nDisallow: /\n", content_type="text/plain")
    assert read(site).documents == [] and [r.path for r in site.requests] == ["/robots.txt"]
    site.page("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    site.pages["/help/returns.html"].body = site.pages["/help/returns.html"].body.replace(
        b"<head>", b'<head><meta name="robots" content="noindex">')
    assert not any(d.doc_id.endswith("returns.html") for d in read(site).documents)


def test_a_redirect_names_the_site_and_linked_files_are_read(site, tmp_path):
    site.pages["/help"] = Page(b"", status=301, headers={"Location": "/help/"})
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Wiring guide: the common wire is blue.")
    site.pages["/help/wiring.pdf"] = Page(bytes(pdf.output()), content_type="application/pdf")
    add_links(site, b'<a href="wiring.pdf">Wiring guide (PDF)</a>')
    found = read(site, "/help")
    assert found.roots == {site.url + "/help": site.url + "/help"}, "scoped to /help/, not the whole host"
    wiring = next(d for d in found.documents if d.doc_id.endswith("wiring.pdf"))
    assert wiring.meta["format"] == "pdf" and wiring.meta["url"] == wiring.doc_id
    assert "common wire is blue" in wiring.text


def test_pace_follows_a_longer_crawl_delay(site):
    site.page("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", content_type="text/plain")
    started = time.monotonic()
    read(site, limits=CrawlLimits(delay_s=0.0, max_pages=1))
    assert time.monotonic() - started >= 2  # robots.txt, the sitemap, one page: two pauses
