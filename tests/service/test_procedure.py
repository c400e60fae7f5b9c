"""Procedure questions get the whole list of steps as the answer's context (fast, no model)."""

import pytest

from groundqa.index.loaders import document_from_bytes
from groundqa.service.procedure import as_steps, is_procedure
from groundqa.service.types import Answer, Citation


@pytest.mark.parametrize("question, procedure", [
    ("How do I factory reset my thermostat?", True), ("how can I pair a sensor", True),
    ("How to replace the batteries?", True), ("What are the steps to return an item?", True),
    ("What do I need to do before I take it off the wall?", True),
    ("How long do the batteries last?", False), ("How much is the T5?", False), ("Who wrote it?", False),
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
    steps = as_steps(answer_at(document, "Hold the button for 15 seconds"), lambda _: document)
    assert steps.kind == "passage"
    assert "Pull it off the wall." in steps.citation.context and "Snap it back." in steps.citation.context
    assert "First unplug it" not in steps.citation.context and "That is all" not in steps.citation.context
    c = steps.citation
    assert document.text[c.context_start:c.context_start + len(c.context)] == c.context
    outside = as_steps(answer_at(document, "First unplug it"), lambda _: document)
    assert outside.kind == "span" and outside.citation.context == "First unplug it"
