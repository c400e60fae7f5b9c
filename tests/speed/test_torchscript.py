"""The traced graphs: the real models run as TorchScript and answer as the eager models do; a model
that cannot be traced, or whose trace disagrees with it, still runs, eagerly."""

import logging

import numpy as np
import pytest
import torch

from groundqa.torchscript import traced_forward
from groundqa.index.chunking import ChunkingConfig, chunk_document
from groundqa.index.types import Document, Passage
from groundqa.wiring import make_embedder, make_reader

PASSAGE = ("Super Bowl 50 was an American football game to determine the champion of the National Football "
           "League for the 2015 season. The American Football Conference champion Denver Broncos defeated the "
           "National Football Conference champion Carolina Panthers 24-10. The game was played on February 7, "
           "2016, at Levi's Stadium in the San Francisco Bay Area at Santa Clara, California.")

pytestmark = pytest.mark.slow  # loads and traces both real models


def passages(embedder, text=PASSAGE):
    document = Document("doc", "Super Bowl", "src", text)
    chunks = chunk_document(document, embedder.token_offsets, ChunkingConfig(60, 10))
    return [Passage(chunk, 1.0, rank) for rank, chunk in enumerate(chunks, start=1)]


@pytest.fixture(scope="module")
def eager_reader(real_settings):
    reader = make_reader(real_settings.model_copy(update={"trace_models": False}))
    reader.warm_up()
    return reader


def test_real_models_run_as_traced_graphs(real_embedder, real_reader):
    assert isinstance(real_reader._model, torch.jit.ScriptModule)
    assert isinstance(real_embedder._token_embeddings, torch.jit.ScriptModule)


@pytest.mark.parametrize("question", ["Where was the game played?", "Who won Super Bowl 50?",
                                      "What was the final score?"])
def test_traced_reader_finds_the_spans_the_eager_model_finds(real_reader, eager_reader, real_embedder, question):
    read = passages(real_embedder)
    assert len(read) > 1  # several passages of unequal length: one padded batch
    traced, eager = real_reader.read(question, read), eager_reader.read(question, read)
    assert [(s.passage.rank, s.start, s.end) for s in traced.spans[:5]] == \
           [(s.passage.rank, s.start, s.end) for s in eager.spans[:5]]
    assert traced.spans[0].logit == pytest.approx(eager.spans[0].logit, abs=0.1)


def test_traced_embedder_matches_sentence_transformers_encode(real_embedder):
    texts = ["Where was Super Bowl 50 played?", "  padded question  ", PASSAGE, PASSAGE[:40], "x"]
    vectors = real_embedder.embed(texts)
    plain = real_embedder.model.encode(texts, normalize_embeddings=False).astype(np.float32)
    plain /= np.linalg.norm(plain, axis=1, keepdims=True)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.sum(vectors * plain, axis=1).min() > 0.9995
    # Batching and order do not change a text's vector.
    alone = np.stack([real_embedder.embed([text])[0] for text in texts])
    assert np.sum(vectors * alone, axis=1).min() > 0.9995


class BranchesOnLength(torch.nn.Module):
    """Takes another path on long inputs: a trace of a short input gets long ones wrong."""

    config = type("Config", (), {"vocab_size": 1000})()

    def forward(self, input_ids, attention_mask=None, return_dict=True):
        scores = input_ids.float()
        return (scores * 2 if input_ids.shape[1] > 30 else scores,)


class ReturnsText(torch.nn.Module):
    config = type("Config", (), {"vocab_size": 1000})()

    def forward(self, input_ids, attention_mask=None, return_dict=True):
        return ("not a tensor",)


def test_a_trace_that_disagrees_with_the_model_is_not_used(caplog):
    model = BranchesOnLength()
    with caplog.at_level(logging.WARNING, logger="groundqa.torchscript"):
        forward = traced_forward(model, ["input_ids", "attention_mask"], outputs=1)
    assert not isinstance(forward, torch.jit.ScriptModule)
    assert "disagrees" in caplog.text
    long_input = torch.ones((1, 40), dtype=torch.long)
    assert torch.equal(forward(long_input, torch.ones_like(long_input))[0], long_input.float() * 2)


def test_a_model_that_cannot_be_traced_runs_eagerly(caplog):
    with caplog.at_level(logging.WARNING, logger="groundqa.torchscript"):
        forward = traced_forward(ReturnsText(), ["input_ids", "attention_mask"], outputs=1)
    assert not isinstance(forward, torch.jit.ScriptModule)
    assert "tracing failed" in caplog.text
    assert forward(torch.ones((1, 5), dtype=torch.long), torch.ones((1, 5), dtype=torch.long)) == ("not a tensor",)


def test_inputs_it_cannot_make_examples_for_run_eagerly(caplog):
    with caplog.at_level(logging.WARNING, logger="groundqa.torchscript"):
        forward = traced_forward(BranchesOnLength(), ["input_ids", "pixel_values"], outputs=1)
    assert not isinstance(forward, torch.jit.ScriptModule)
    assert "pixel_values" in caplog.text
