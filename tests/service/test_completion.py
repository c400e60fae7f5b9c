"""Whole answers: spans cut inside a word, from their unit or short of a range's end are completed
from the text around them; they keep to one line (the reader's first) and never shrink below what
the reader chose on it."""

import re

import pytest
from hypothesis import given, strategies as st

from groundqa.service.completion import complete


@pytest.mark.parametrize("text, span, whole", [
    ("Email support@nimbushome.example for help.", "@nimbushome", "support@nimbushome.example"),
    ("You have 45 days to return it.", "45", "45 days"),
    ("Refunds take 5 to 7 business days.", "5", "5 to 7 business days"),
    ("Affects firmware 3.0 through 3.2.1 only.", "3.0", "3.0 through 3.2.1"),
    ("Open from 9\nto 5 on weekdays.", "9", "9"),  # a range or unit never reaches over a line break
    ("Cost: 20\n- 30 days later", "20", "20"),
    ("Call 1-800-555-0142 today.", "800-555", "1-800-555-0142"),
    ("The score is (8.1).", "8.1", "8.1"),
    ("In 1990 in London, the war ended.", "1990", "1990"),  # "in" is not a unit
    ("It was Brad Smith, he said.", "Brad Smith", "Brad Smith"),
    ("Clearview is a New York-based company.", "New York", "New York"),
    ("Fixed in CVE-2024-38112 today.", "CVE-2024-381", "CVE-2024-38112"),
    ("Kicked from their own 24-yard line.", "24", "24"),
    ("His name was Martin Sekulić.:32 He", "Martin Sekulić", "Martin Sekulić"),
    ("Returns within 45 days.", "45 days.", "45 days"),  # sentence punctuation trimmed
])
def test_completion_rules(text, span, whole):
    start = text.index(span)
    new_start, new_end = complete(text, start, start + len(span))
    assert text[new_start:new_end] == whole


@given(st.text(alphabet="ab1 .-@(),", min_size=1, max_size=40), st.data())
def test_a_completed_span_is_document_text_and_keeps_the_words_it_had(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    new_start, new_end = complete(text, start, end)
    assert 0 <= new_start < new_end <= len(text)
    first_line = (text[start:end].strip().split("\n", 1) or [""])[0]
    core = re.sub(r"^(?:[-*\u2022\u2013]\s+|\d{1,3}[.)]\s+(?=\D))", "", first_line).strip(" .,;:!?)]}\"'(")
    assert core in text[new_start:new_end] or not core
    assert "\n" not in text[new_start:new_end] or "\n" not in text[start:end].strip(), "one line"
