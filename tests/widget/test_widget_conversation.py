"""A conversation in the chat widget (issue 40), in a real headless Chromium against a real server and
the real models, on a document written for this test: the second turn is a follow-up, sent with the
first as its history, answered as the standalone question it stands for, which the widget shows."""

import shutil

import httpx
import pytest

from tests.servers import groundqa_server
from tests.widget.test_widget_browser import ask, browser, page, shot  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
KEY = "conversation-key"
TOURS = ("Lighthouse tours. The tour of the North lighthouse costs 12 euros. The tour of the South lighthouse "
         "costs 15 euros. Every tour starts at the harbour office.")
FIRST = "How much does the tour of the North lighthouse cost?"
FOLLOW_UP = "And the South lighthouse?"
RESOLVED = "How much does the tour of the South lighthouse cost?"


@pytest.fixture(scope="module")
def server(tmp_path_factory, real_settings, corpus_pipeline):
    index_dir = tmp_path_factory.mktemp("conversation") / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    with groundqa_server({"GROUNDQA_INDEX_DIR": str(index_dir), "GROUNDQA_API_KEY": KEY}) as (url, _):
        added = httpx.post(f"{url}/v1/documents", headers={"X-API-Key": KEY}, timeout=60,
                           json={"doc_id": "tours", "title": "Lighthouse tours", "text": TOURS})
        assert added.status_code == 201, added.text
        yield url


def test_a_two_turn_conversation_answers_the_follow_up_and_shows_how_it_was_understood(page, server):
    sent = []
    page.on("request", lambda request: sent.append(request.post_data_json) if request.url.endswith("/ask/stream") else None)
    page.goto(server + "/")
    first = ask(page, FIRST)
    assert first.locator(".answer-text").first.inner_text() == "12 euros"
    assert first.locator(".resolved").count() == 0, "a question that stands alone is not restated"

    second = ask(page, FOLLOW_UP, open_first=False)
    assert second.locator(".answer-text").first.inner_text() == "15 euros"
    assert second.locator(".resolved").inner_text() == f"Understood as: {RESOLVED}"
    assert sent[0]["history"] == [] and sent[1]["history"] == [{"question": FIRST, "answer": "12 euros"}]
    shot(page, "14-follow-up")

    page.reload()  # the conversation, and how the follow-up was understood, survive a reload
    assert page.locator(".resolved").inner_text() == f"Understood as: {RESOLVED}"
    third = ask(page, "and the tour of the West lighthouse?", open_first=False)
    assert sent[2]["history"][-1] == {"question": RESOLVED, "answer": "15 euros"}, "the resolved question is sent"
    assert third.locator(".resolved").inner_text() == "Understood as: How much does the tour of the West lighthouse cost?"


def test_a_new_conversation_forgets_the_turns_before(page, server):
    sent = []
    page.on("request", lambda request: sent.append(request.post_data_json) if request.url.endswith("/ask/stream") else None)
    page.goto(server + "/")
    ask(page, FIRST)
    page.get_by_role("button", name="Start a new conversation").click()
    assert page.locator(".msg.user").count() == 0 and page.locator(".msg.greeting").count() == 1
    page.reload()
    assert page.locator(".msg.user").count() == 0, "the new conversation is what is kept"
    bubble = ask(page, FOLLOW_UP, open_first=False)
    assert sent[-1]["history"] == []
    assert bubble.locator(".resolved").count() == 0
    shot(page, "15-new-conversation")
