"""The chat widget in a real headless Chromium, against a real server. Screenshots of each state go
to test-artifacts/widget/."""

import contextlib
import http.server
import json
import os
import shutil
import threading
from functools import partial
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.servers import free_port, groundqa_server

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "widget"
KEY = "widget-key"
HOSTILE_TEXT = "Payload test. The attacker wrote <img src=x onerror=alert(1)> and <script>alert(2)</script> in the memo."
AGGRESSIVE_CSS = """
* { color: red !important; font-size: 31px !important; font-family: Impact, fantasy !important;
    background: yellow !important; line-height: 3 !important; letter-spacing: 4px !important; }
button, input, mark, section, div { display: inline !important; border: 5px dashed blue !important;
    padding: 20px !important; margin: 20px !important; }
[hidden] { display: block !important; }
"""


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs it with apt-get install chromium")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@contextlib.contextmanager
def static_site(directory: Path):
    """A second origin, serving a host page from `directory`."""
    port = free_port()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def site(tmp_path_factory, real_settings, corpus_pipeline):
    """A groundqa server on the corpus (plus a document full of markup) and a host site on another origin."""
    index_dir = tmp_path_factory.mktemp("widget") / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    pages = tmp_path_factory.mktemp("host")
    with static_site(pages) as host:
        env = {"GROUNDQA_INDEX_DIR": str(index_dir), "GROUNDQA_API_KEY": KEY,
               "GROUNDQA_CORS_ORIGINS": json.dumps([host])}
        with groundqa_server(env) as (url, _):
            added = httpx.post(f"{url}/v1/documents", headers={"X-API-Key": KEY}, timeout=60,
                               json={"doc_id": "hostile", "title": "Memo <b>bold</b>", "text": HOSTILE_TEXT})
            assert added.status_code == 201
            (pages / "hostile.html").write_text(
                f"<!doctype html><html><head><style>{AGGRESSIVE_CSS}</style></head><body>"
                f"<h1>A host page with aggressive CSS</h1><p>Some content.</p>"
                f'<script src="{url}/widget.js" data-endpoint="{url}" defer></script></body></html>')
            yield {"url": url, "host": host}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def ask(page, question):
    page.locator(".launcher").click()
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    bubble = page.locator(".msg.bot").last
    bubble.locator("xpath=self::*[contains(@class,'answered') or contains(@class,'error')]").wait_for(timeout=60_000)
    return bubble


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_answer_with_highlighted_citation(page, site):
    page.goto(site["url"] + "/")
    bubble = ask(page, "Who is the president of Microsoft?")
    assert bubble.locator(".answer-text").inner_text() == "Brad Smith"
    assert bubble.locator("mark").inner_text() == "Brad Smith"
    assert "Microsoft President Brad Smith" in bubble.locator(".context").inner_text()
    assert "Microsoft Joins Ban" in bubble.locator(".source").inner_text()
    assert bubble.locator(".cue").inner_text().endswith("confidence")
    shot(page, "1-answer")


def test_unanswerable_shows_not_found(page, site):
    page.goto(site["url"] + "/")
    bubble = ask(page, "What is the capital of France?")
    assert bubble.inner_text() == "Not found in the documents."
    assert bubble.locator("mark").count() == 0
    shot(page, "2-not-found")


def test_markup_in_documents_is_shown_as_text(page, site):
    page.goto(site["url"] + "/")
    bubble = ask(page, "What did the attacker write in the memo?")
    context = bubble.locator(".context").inner_text()
    assert "<img src=x onerror=alert(1)>" in context or "<script>alert(2)</script>" in context
    assert bubble.locator("img, script, b").count() == 0, "no element was created from document text"
    assert "Memo <b>bold</b>" in bubble.locator(".source").inner_text()
    page.wait_for_timeout(300)
    assert page.dialogs == [], "no script from a document ran"
    shot(page, "3-markup-as-text")


def test_works_on_a_hostile_page_of_another_origin(page, site):
    page.goto(site["host"] + "/hostile.html")
    launcher = page.locator(".launcher")
    assert launcher.evaluate("e => getComputedStyle(e).fontSize") != "31px", "host CSS does not reach inside"
    bubble = ask(page, "Who is the new CEO of IBM?")
    assert bubble.locator(".answer-text").inner_text() == "Arvind Krishna"
    assert page.locator(".panel").evaluate("e => getComputedStyle(e).display") == "flex"
    answer_style = bubble.locator(".answer-text").evaluate(
        "e => { const s = getComputedStyle(e); return [s.fontSize, s.color, s.letterSpacing]; }")
    assert answer_style == ["16px", "rgb(31, 35, 40)", "normal"], "the page's !important rules do not leak in"
    shot(page, "4-hostile-host-page")


def test_keyboard_escape_and_phone_width(browser, site):
    context = browser.new_context(viewport={"width": 375, "height": 700})
    page = context.new_page()
    page.goto(site["url"] + "/")
    page.locator(".launcher").focus()
    page.keyboard.press("Enter")
    box = page.get_by_label("Your question")
    assert box.evaluate("e => e.getRootNode().activeElement === e"), "opening focuses the question box"
    width = page.locator(".panel").evaluate("e => e.getBoundingClientRect().width")
    assert width <= 375 - 16
    box.fill("How many airports are using the Traveler Verification Service?")
    box.press("Enter")
    page.locator(".msg.bot.answered").wait_for(timeout=60_000)
    assert page.locator(".answer-text").inner_text() == "22"
    shot(page, "5-phone")
    page.keyboard.press("Escape")
    assert page.locator(".panel").is_hidden()
    assert page.locator(".launcher").get_attribute("aria-expanded") == "false"
    context.close()


def test_service_errors_are_shown_with_retry(page, site):
    page.goto(site["url"] + "/")
    page.route("**/v1/ask/stream", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": {"code": "index_not_ready", "message": "service not ready: loading"}})))
    bubble = ask(page, "Who is the president of Microsoft?")
    assert "service not ready: loading" in bubble.inner_text()
    shot(page, "6-error")
    page.unroute("**/v1/ask/stream")
    bubble.locator(".retry").click()
    page.locator(".msg.bot.answered").last.wait_for(timeout=60_000)
    assert page.locator(".answer-text").last.inner_text() == "Brad Smith"


def test_widget_and_demo_are_served_with_headers(site):
    widget = httpx.get(site["url"] + "/widget.js")
    assert widget.status_code == 200 and widget.headers["content-type"].startswith("text/javascript")
    assert "max-age" in widget.headers["cache-control"] and len(widget.content) < 20_000
    assert httpx.get(site["url"] + "/widget.js", headers={"If-None-Match": widget.headers["etag"]}).status_code == 304
    demo = httpx.get(site["url"] + "/")
    assert "script-src 'self'" in demo.headers["content-security-policy"]
    assert '<script src="/widget.js"' in demo.text


def test_api_docs_render_their_operations_offline(page, site):
    """/docs draws every operation with scripts served by the server itself (no CDN: this machine has
    no internet, so a page that needed one would stay blank)."""
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{site['url']}/docs")
    page.locator(".opblock").first.wait_for(timeout=30_000)
    operations = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/v1/ask" in operations and "/v1/documents/{doc_id}" in operations, operations
    assert all(url.startswith(site["url"]) for url in requested), [u for u in requested if not u.startswith(site["url"])]
    shot(page, "api-docs")
