"""Offsets of answers through the real tokenizer and decoder, with random logits in place of the model."""

import itertools
import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from groundqa.index.chunking import ChunkingConfig, chunk_document
from groundqa.index.types import Document, Passage
from groundqa.service.answers import AnswerConfig, select_answers
from groundqa.service.reader import ExtractiveReader, ReaderConfig


class RandomLogits(torch.nn.Module):
    def __init__(self, seed: int) -> None:
        super().__init__()
        self.generator = torch.Generator().manual_seed(seed)

    def forward(self, input_ids, *other_inputs):
        shape = input_ids.shape
        return torch.randn(shape, generator=self.generator), torch.randn(shape, generator=self.generator)


@pytest.fixture(scope="module")
def tokenizer(real_settings):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(real_settings.reader_model)


def reader_with(tokenizer, seed, config):
    reader = ExtractiveReader("unused", config)
    reader._tokenizer, reader._model = tokenizer, RandomLogits(seed)
    return reader


words = st.sampled_from(["alpha", "Beta", "gamma.", "délta", "“quoted”", "x-ray", "42", "3.14", "Zoë's", "\n", "end!"])


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(words, min_size=1, max_size=400), seed=st.integers(0, 10_000),
       max_tokens=st.integers(8, 120), prefix=st.text(alphabet=" ab\n", max_size=30))
def test_every_answer_is_the_document_text_at_its_offsets(tokenizer, parts, seed, max_tokens, prefix):
    text = prefix + " ".join(parts)
    document = Document("doc", "Title", "src", text)
    tokens = lambda t: [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", t)]
    chunks = chunk_document(document, tokens, ChunkingConfig(max_tokens=max_tokens, overlap_tokens=max_tokens // 4))
    passages = [Passage(c, 1.0, i) for i, c in enumerate(chunks, start=1)]
    # Small windows force several overlapping windows per passage.
    reader = reader_with(tokenizer, seed, ReaderConfig(max_seq_len=48, stride=16, n_best=5, max_answer_tokens=6, batch_size=32))
    reading = reader.read("what is it?", passages)
    for span in reading.spans:
        chunk = span.passage.chunk
        assert chunk.start <= span.start < span.end <= chunk.end
    answers, _ = select_answers(reading, lambda _: document, AnswerConfig(float("-inf"), 5, 0.0, 0.0, 0.0))
    assert len({a.text.lower() for a in answers}) == len(answers)
    for first, second in itertools.combinations(answers, 2):
        assert first.citation.end <= second.citation.start or second.citation.end <= first.citation.start, \
            "answers never overlap each other in the same document"
    for answer in answers:
        c = answer.citation
        assert document.text[c.start:c.end] == answer.text
        assert document.text[c.context_start:c.context_start + len(c.context)] == c.context
        assert c.context_start <= c.start and c.end <= c.context_start + len(c.context)
        assert 0.0 < answer.score <= 1.0


def test_reading_no_passages_abstains(tokenizer):
    reader = reader_with(tokenizer, 0, ReaderConfig(384, 128, 20, 30, 32))
    reading = reader.read("anything?", [])
    assert reading.spans == []
    assert select_answers(reading, lambda _: None, AnswerConfig(0.0, 3, 0.0, 0.0, 0.0)) == ([], None)


def test_overlong_question_is_clipped_not_rejected(tokenizer):
    reader = reader_with(tokenizer, 1, ReaderConfig(max_seq_len=96, stride=32, n_best=20, max_answer_tokens=30, batch_size=32))
    document = Document("d", "t", "s", "Short context about cats and dogs.")
    chunk = chunk_document(document, lambda t: [(m.start(), m.end()) for m in re.finditer(r"\S+", t)], ChunkingConfig(254, 40))[0]
    reading = reader.read("why " * 500, [Passage(chunk, 1.0, 1)])
    assert reading.spans, "a question past 64 word pieces still leaves room for the context"


def test_length_penalty_prefers_the_tight_span_when_the_reader_barely_prefers_the_long_one():
    from groundqa.index.types import Chunk
    from groundqa.service.reader import Reading, Span

    text = "The keeper was Angus Macleod of Tiree, who kept the light."
    document = Document("doc", "Title", "src", text)
    passage = Passage(Chunk("doc#0", "doc", 0, len(text), text), 0.8, 1)
    tight = Span(passage, text.index("Angus"), text.index(" of"), logit=9.0, window_null=0.0, tokens=2)
    loose = Span(passage, text.index("Angus"), text.index(", who"), logit=9.5, window_null=0.0, tokens=5)
    reading = Reading([loose, tight], null_logit=0.0)
    pick = lambda penalty: select_answers(reading, lambda _: document,
                                          AnswerConfig(0.0, 1, 0.0, 0.0, penalty))[0][0].text
    assert pick(0.0) == "Angus Macleod of Tiree"
    assert pick(0.25) == "Angus Macleod"


def test_list_items_are_read_as_clauses_with_every_offset_kept():
    from groundqa.service.reader import as_read

    text = "Connect each wire:\n- G for the fan\n- C for common\n1. Step one\nA plain line\nand its end"
    read = as_read(text)
    assert len(read) == len(text) and read == text.replace("\n-", ";-").replace("\n1.", ";1.")
    assert "line\nand" in read, "only the break before a list item changes"
