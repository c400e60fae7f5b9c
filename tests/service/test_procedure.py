"""Procedure questions get the whole list of steps as the answer's context (fast, no model)."""

import pytest

from groundqa.index.loaders import document_from_bytes
from groundqa.service.procedure import with_its_list, is_procedure
from groundqa.service.types import Answer, Citation


@pytest.mark.parametrize("question, procedure", [
    ("How do I factory reset my keypad?", True), ("how can I pair a sensor", True),
    ("How to replace the batteries?", True), ("What are the steps to return an item?", True),
    ("What do I need to do before I take it off the wall?", True),
    ("What are the installation steps?", True), ("What are the factory reset steps?", True),
    ("How long does the battery last?", False), ("How much is the T5?", False), ("Who wrote it?", False),
])
def test_procedure_questions_are_recognized(question, procedure):
    assert is_procedure(question) is procedure


def answer_at(document, text):
    start = document.text.index(text)
    citation = Citation(document.doc_id, document.title, document.source, start, start + len(text), text, start)
    return Answer(text, 0.9, citation)


@pytest.mark.parametrize("name, data, suffix", [
    ("markdown", b"# Reset\n\nFirst unplug it.\n\n1. Pull it off the wall.\n2. Hold the button for\n   15 seconds.\n"
                 b"3. Snap it back.\n\nThat is all.\n", ".md"),
    ("html", b"<h2>Reset</h2><p>First unplug it.</p><ol><li>Pull it off the wall.</li><li>Hold the button for "
             b"15 seconds.</li><li>Snap it back.</li></ol><p>That is all.</p>", ".html"),
    ("text", b"Reset\n\nFirst unplug it.\n\n1. Pull it off the wall.\n2. Hold the button for 15 seconds.\n"
             b"3. Snap it back.\n\nThat is all.\n", ".txt"),
])
def test_the_steps_around_an_answer_become_its_context(name, data, suffix):
    document = document_from_bytes(data, doc_id=name, source=name, suffix=suffix)
    steps = with_its_list(answer_at(document, "Hold the button for 15 seconds"), lambda _: document)
    assert steps.kind == "passage"
    assert "Pull it off the wall." in steps.citation.context and "Snap it back." in steps.citation.context
    assert "First unplug it" not in steps.citation.context and "That is all" not in steps.citation.context
    c = steps.citation
    assert document.text[c.context_start:c.context_start + len(c.context)] == c.context
    outside = with_its_list(answer_at(document, "First unplug it"), lambda _: document)
    assert outside.kind == "span" and outside.citation.context == "First unplug it"


@pytest.mark.parametrize("name, data, suffix", [
    ("text", b"3. HOW TO REQUEST LEAVE\n\nTo request annual leave, follow these steps:\n1. Log in to the portal.\n"
             b"2. Choose the dates.\n3. Submit the request.\n\n4. SICK LEAVE\n\nPhone your manager.\n", ".txt"),
    ("markdown", b"## Requesting leave\n\nTo request annual leave, follow these steps:\n\n1. Log in to the portal.\n"
                 b"2. Choose the dates.\n3. Submit the request.\n\n## Sick leave\n\nPhone your manager.\n", ".md"),
    ("html", b"<h2>Requesting leave</h2><p>To request annual leave, follow these steps:</p><ol><li>Log in to the "
             b"portal.</li><li>Choose the dates.</li><li>Submit the request.</li></ol><h2>Sick leave</h2>"
             b"<p>Phone your manager.</p>", ".html"),
])
def test_a_lead_in_answer_gets_the_steps_it_introduces(name, data, suffix):
    document = document_from_bytes(data, doc_id=name, source=name, suffix=suffix)
    lead_in = answer_at(document, "follow these steps")
    start = document.text.index("To request")
    lead_in = Answer(lead_in.text, 0.9, Citation(name, name, name, lead_in.citation.start, lead_in.citation.end,
                                                 "To request annual leave, follow these steps:", start))
    steps = with_its_list(lead_in, lambda _: document)
    assert steps.kind == "passage" and steps.text == "follow these steps"
    c = steps.citation
    assert c.context.startswith("To request annual leave, follow these steps:")
    assert "Log in to the portal." in c.context and c.context.endswith("Submit the request.")
    assert "Phone your manager" not in c.context and "SICK" not in c.context
    assert document.text[c.context_start:c.context_start + len(c.context)] == c.context


@pytest.mark.parametrize("data", [
    b"Leave is approved by your manager.\n1. Log in.\n2. Submit.\n",  # no colon
    b"Leave is approved by your manager. To cancel a request, do this:\n1. Log in.\n2. Cancel.\n",  # another sentence's
])
def test_a_sentence_that_is_no_lead_in_does_not_take_the_list_after_it(data):
    document = document_from_bytes(data, doc_id="d", source="d", suffix=".txt")
    assert with_its_list(answer_at(document, "your manager"), lambda _: document).kind == "span"
