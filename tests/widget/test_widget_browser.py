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
# Each shop's sentence names what the question does, so each hour is an answer the verifier would give alone.
SHOPS_TEXT = ("Opening hours of the Nimbus shops. The Nimbus shop in Berlin opens at 8 am. The Nimbus shop in Paris "
              "opens at 9 am. The Nimbus shop in Rome opens at 10 am.")
SHOPS_URL = "https://shops.example.org/hours"
SUGGESTIONS = ["Who is the president of Microsoft?", "Who is the new CEO of IBM?"]
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
        # Every alternative the reader finds is listed (the default hides the faintest), so that the
        # shops question below has its "other answers" whatever the CPU's precision.
        env = {"GROUNDQA_INDEX_DIR": str(index_dir), "GROUNDQA_API_KEY": KEY,
               "GROUNDQA_CORS_ORIGINS": json.dumps([host]), "GROUNDQA_MIN_ALTERNATIVE_SCORE": "0",
               "GROUNDQA_WIDGET_SUGGESTIONS": json.dumps(SUGGESTIONS)}
        with groundqa_server(env) as (url, _):
            for document in ({"doc_id": "hostile", "title": "Memo <b>bold</b>", "text": HOSTILE_TEXT},
                             {"doc_id": "shops/hours", "title": "Shop hours", "text": SHOPS_TEXT,
                              "meta": {"url": SHOPS_URL}}):
                added = httpx.post(f"{url}/v1/documents", headers={"X-API-Key": KEY}, timeout=60, json=document)
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


def ask(page, question, open_first=True):
    if open_first:
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
    assert bubble.locator(".answer-text").first.inner_text() == "Brad Smith"
    assert bubble.locator("mark").first.inner_text() == "Brad Smith"
    assert "Microsoft President Brad Smith" in bubble.locator(".context").first.inner_text()
    assert "Microsoft Joins Ban" in bubble.locator(".source").first.inner_text()
    assert bubble.locator(".cue").first.inner_text().endswith("confidence")
    shot(page, "1-answer")


def test_unanswerable_shows_not_found(page, site):
    page.goto(site["url"] + "/")
    bubble = ask(page, "What is the capital of France?")
    assert bubble.inner_text().startswith("Not found in the documents.")
    assert bubble.locator("mark").count() == 0
    shot(page, "2-not-found")


def test_markup_in_documents_is_shown_as_text(page, site):
    page.goto(site["url"] + "/")
    bubble = ask(page, "What did the attacker write in the memo?")
    context = bubble.locator(".context").first.inner_text()
    assert "<img src=x onerror=alert(1)>" in context or "<script>alert(2)</script>" in context
    assert bubble.locator("img, script, b").count() == 0, "no element was created from document text"
    assert "Memo <b>bold</b>" in bubble.locator(".source").first.inner_text()
    page.wait_for_timeout(300)
    assert page.dialogs == [], "no script from a document ran"
    shot(page, "3-markup-as-text")


def test_works_on_a_hostile_page_of_another_origin(page, site):
    page.goto(site["host"] + "/hostile.html")
    launcher = page.locator(".launcher")
    assert launcher.evaluate("e => getComputedStyle(e).fontSize") != "31px", "host CSS does not reach inside"
    bubble = ask(page, "Who is the new CEO of IBM?")
    assert bubble.locator(".answer-text").first.inner_text() == "Arvind Krishna"
    assert page.locator(".panel").evaluate("e => getComputedStyle(e).display") == "flex"
    answer_style = bubble.locator(".answer-text").first.evaluate(
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
    panel = page.locator(".panel").evaluate("e => { const r = e.getBoundingClientRect(); "
                                             "return [r.left, r.top, r.width, r.height]; }")
    assert panel == [0, 0, 375, 700], "full-screen at phone width"
    assert page.locator(".launcher").is_hidden(), "the launcher does not cover the question box"
    box.fill("How many airports are using the Traveler Verification Service?")
    box.press("Enter")
    page.locator(".msg.bot.answered").wait_for(timeout=60_000)
    assert page.locator(".answer-text").first.inner_text() == "22"
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
    assert page.locator(".msg.bot.answered").last.locator(".answer-text").first.inner_text() == "Brad Smith"


def test_widget_and_demo_are_served_with_headers(site):
    widget = httpx.get(site["url"] + "/widget.js")
    assert widget.status_code == 200 and widget.headers["content-type"].startswith("text/javascript")
    assert "max-age" in widget.headers["cache-control"] and len(widget.content) < 25_000
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


# -- the second round: scrolling, links, other answers, greeting, history, thumbs -------------------
def answer_bubbles(page):
    return page.locator(".msg.bot.answered")


def fully_visible_in_log(page, locator):
    return locator.evaluate("""e => { const log = e.closest('.log').getBoundingClientRect();
        const r = e.getBoundingClientRect(); return r.top >= log.top - 1 && r.bottom <= log.bottom + 1; }""")


def test_each_new_answer_is_scrolled_into_view(page, site):
    page.goto(site["url"] + "/")
    questions = ["Who is the president of Microsoft?", "Who is the new CEO of IBM?",
                 "How long is Amazon's ban on police use of its facial recognition technology?",
                 "Which senator urged the Trump administration to stop weaponizing facial recognition?"]
    for number, question in enumerate(questions):
        ask(page, question, open_first=number == 0)
        assert answer_bubbles(page).count() == number + 1
        newest = answer_bubbles(page).last
        assert fully_visible_in_log(page, newest), f"answer {number + 1} is not fully in view"
        assert fully_visible_in_log(page, page.locator(".msg.user").last)
    assert page.locator(".log").evaluate("e => e.scrollTop") > 0, "the log did scroll"
    shot(page, "7-scrolled-to-newest")


def test_source_opens_the_viewer_with_the_cited_span_highlighted(browser, site):
    context = browser.new_context(viewport={"width": 1100, "height": 420})
    page = context.new_page()
    page.goto(site["url"] + "/")
    bubble = ask(page, "Who is the new CEO of IBM?")
    link = bubble.locator(".source a").first
    assert link.inner_text() == "Microsoft Joins Ban on Sale of Facial Recognition Tech to Police"
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    with context.expect_page() as opened:
        link.click()
    viewer = opened.value
    viewer.wait_for_load_state()
    assert "/v1/view/" in viewer.url and "?start=" in viewer.url
    assert viewer.locator("mark#cited").inner_text() == "Arvind Krishna"
    assert viewer.evaluate("() => { const r = document.getElementById('cited').getBoundingClientRect(); "
                           "return r.top >= 0 && r.bottom <= innerHeight; }"), "the span is scrolled into view"
    assert viewer.evaluate("() => scrollY") > 0, "the span lies below the first screen: the page scrolled to it"
    shot(viewer, "8-viewer")
    context.close()


def test_other_answers_are_behind_a_toggle_and_a_documents_own_url_is_the_link(page, site):
    question = "What time does the Nimbus shop open?"
    served = httpx.post(site["url"] + "/v1/ask", json={"question": question}, timeout=60).json()["answers"]
    assert len(served) >= 2, served  # alternatives are only those the verifier would have answered alone
    page.goto(site["url"] + "/")
    bubble = ask(page, question)
    assert bubble.locator(".answer-text").first.inner_text() == served[0]["text"]
    toggle = bubble.locator("summary")
    assert toggle.inner_text() == f"Other answers ({len(served) - 1})"
    others = bubble.locator(".other .answer-text")
    assert not others.first.is_visible(), "folded until asked for"
    toggle.click()
    assert others.all_inner_texts() == [a["text"] for a in served[1:]]
    assert bubble.locator(".source a").first.get_attribute("href") == SHOPS_URL
    shot(page, "9-other-answers")


def test_long_answers_are_not_all_bold(page, site):
    page.goto(site["url"] + "/")
    page.evaluate("""() => sessionStorage.setItem('groundqa:' + location.origin + '/v1', JSON.stringify({open: true, turns: [
        {question: 'q', rated: {}, result: {no_answer: false, answers: [{text: 'x'.repeat(120), score: 0.9,
         citation: {doc_id: 'd', title: 't', source: 's', start: 0, end: 120, context: 'x'.repeat(120), context_start: 0}}]}}]}))""")
    page.reload()
    weight = page.locator(".answer-text").evaluate("e => getComputedStyle(e).fontWeight")
    assert weight == "400"


def test_greeting_and_example_questions(page, site):
    page.goto(site["url"] + "/")
    page.locator(".launcher").click()
    greeting = page.locator(".msg.greeting")
    assert greeting.inner_text().startswith("Ask a question: every answer is copied from the documents")
    chips = greeting.locator(".chip")
    assert chips.all_inner_texts() == SUGGESTIONS, "the server's GROUNDQA_WIDGET_SUGGESTIONS"
    shot(page, "10-greeting")
    chips.nth(1).click()
    answer_bubbles(page).last.wait_for(timeout=60_000)
    assert page.locator(".msg.user").last.inner_text() == SUGGESTIONS[1]
    assert answer_bubbles(page).last.locator(".answer-text").first.inner_text() == "Arvind Krishna"


def test_the_pages_own_greeting_wins(page, site):
    html = (f'<!doctype html><html><body><script src="{site["url"]}/widget.js" data-endpoint="{site["url"]}" '
            'data-greeting="Hello from the page" data-suggestions="One?|Two?" defer></script></body></html>')
    page.route(site["url"] + "/own-greeting", lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.goto(site["url"] + "/own-greeting")
    page.locator(".launcher").click()
    assert page.locator(".msg.greeting").inner_text().startswith("Hello from the page")
    assert page.locator(".chip").all_inner_texts() == ["One?", "Two?"]


def test_reload_keeps_the_conversation(page, site):
    page.goto(site["url"] + "/")
    ask(page, "Who is the president of Microsoft?")
    ask(page, "What is the capital of France?", open_first=False)
    page.reload()
    assert page.locator(".panel").is_visible(), "the panel stays open"
    assert page.locator(".msg.user").all_inner_texts() == ["Who is the president of Microsoft?",
                                                           "What is the capital of France?"]
    assert page.locator(".answer-text").first.inner_text() == "Brad Smith"
    assert page.locator(".msg.notfound").count() == 1
    assert page.locator("mark").first.inner_text() == "Brad Smith"
    shot(page, "11-after-reload")


def test_thumbs_send_feedback_the_api_then_lists(page, site):
    before = httpx.get(site["url"] + "/v1/feedback", headers={"X-API-Key": KEY}, params={"limit": 1000}).json()["total"]
    page.goto(site["url"] + "/")
    good = ask(page, "Who is the president of Microsoft?")
    good.get_by_label("Right answer").first.click()
    good.get_by_text("Thanks for your feedback.").wait_for()
    shaky = ask(page, "How long is Amazon's ban on police use of its facial recognition technology?", open_first=False)
    shaky.get_by_label("Wrong answer").first.click()
    shaky.get_by_label("What was wrong").fill("it was extended indefinitely later")
    shot(page, "12-thumbs-down-note")
    shaky.get_by_role("button", name="Send").click()
    shaky.get_by_text("Thanks for your feedback.").wait_for()
    missing = ask(page, "What is the capital of France?", open_first=False)
    missing.get_by_label("It is in the documents").click()
    missing.get_by_role("button", name="Send").click()
    missing.get_by_text("Thanks for your feedback.").wait_for()
    shot(page, "13-feedback-sent")

    listed = httpx.get(site["url"] + "/v1/feedback", headers={"X-API-Key": KEY}, params={"offset": before}).json()
    entries = [(f["question"], f["answer"], f["verdict"], f["note"]) for f in listed["feedback"]]
    assert entries == [
        ("Who is the president of Microsoft?", "Brad Smith", "correct", ""),
        ("How long is Amazon's ban on police use of its facial recognition technology?", "one-year", "wrong",
         "it was extended indefinitely later"),
        ("What is the capital of France?", None, "not_found_but_should", "")]
    assert listed["feedback"][0]["doc_id"] == "corpus/microsoft-joins-facial-recognition-ban.txt"
    page.reload()
    rows = [bubble.locator(".rate").first.inner_text() for bubble in answer_bubbles(page).all()]
    assert rows == ["Thanks for your feedback."] * 3, "a verdict is given once, also after a reload"


def test_data_collection_asks_and_rates_in_that_collection(page, site):
    admin = {"X-API-Key": KEY}
    created = httpx.post(site["url"] + "/v1/collections", headers=admin, json={"name": "lighthouses"}, timeout=60)
    assert created.status_code == 201, created.text
    doc = {"doc_id": "skerryvore", "text": "The Skerryvore lighthouse keeper in 1902 was Angus Macleod."}
    assert httpx.post(site["url"] + "/v1/collections/lighthouses/documents", headers=admin, json=doc,
                      timeout=60).status_code == 201
    html = (f'<!doctype html><html><body><script src="{site["url"]}/widget.js" data-endpoint="{site["url"]}" '
            'data-collection="lighthouses" defer></script></body></html>')
    page.route(site["url"] + "/lighthouses", lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.goto(site["url"] + "/lighthouses")
    bubble = ask(page, "Who was the Skerryvore lighthouse keeper in 1902?")
    assert bubble.locator(".answer-text").first.inner_text() == "Angus Macleod"
    assert "/v1/collections/lighthouses/view/skerryvore?" in bubble.locator(".source a").first.get_attribute("href")
    bubble.get_by_label("Right answer").first.click()
    bubble.get_by_text("Thanks for your feedback.").wait_for()
    rated = httpx.get(site["url"] + "/v1/collections/lighthouses/feedback", headers=admin).json()["feedback"]
    assert [(f["answer"], f["verdict"]) for f in rated] == [("Angus Macleod", "correct")]
    assert ask(page, "Who is the president of Microsoft?", open_first=False).inner_text().startswith(
        "Not found"), "the default collection's article is not in this one"
