"""The on-disk cache of traced (and quantized) graphs, and int8 quantization, on a tiny model: keys
follow what the graph depends on, a hit skips building, broken or stale entries are rebuilt."""

import json
import os
import types

import pytest
import torch

from groundqa import graph_cache, hardware
from groundqa.graph_cache import GraphCache, graph_key
from groundqa.quantize import quantize_int8
from groundqa.torchscript import cached_traced_forward

NAMES = ["input_ids", "attention_mask"]


class Tiny(torch.nn.Module):
    """A model with a transformer's calling convention: token ids in, two logit rows out."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.config = types.SimpleNamespace(vocab_size=300)
        self.embed = torch.nn.Embedding(300, 16)
        self.dense = torch.nn.Linear(16, 16)
        self.qa_outputs = torch.nn.Linear(16, 2)

    def forward(self, input_ids, attention_mask, return_dict=False):
        hidden = torch.relu(self.dense(self.embed(input_ids))) * attention_mask.unsqueeze(-1)
        logits = self.qa_outputs(hidden)
        return logits[..., 0], logits[..., 1]


class Builds:
    def __init__(self, model=None) -> None:
        self.count, self.model = 0, model

    def __call__(self):
        self.count += 1
        return self.model if self.model is not None else Tiny().eval()


def tiny_key(**changes):
    key = {"format": graph_cache.FORMAT, "kind": "reader", "model": {"name": "tiny"}, "precision": "fp32",
           "inputs": NAMES, "outputs": 2, "torch": torch.__version__, "cpu": ["avx2"]}
    return {**key, **changes}


def batch():
    ids = torch.randint(1, 300, (2, 7), generator=torch.Generator().manual_seed(5))
    return ids, torch.ones_like(ids)


def test_auto_precision_never_picks_int8_but_int8_can_be_asked_for(monkeypatch):
    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    assert hardware.resolve_precision("auto") == "fp32"
    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset({"avx2", "avx512_bf16"}))
    assert hardware.resolve_precision("auto") == "bf16"
    assert hardware.resolve_precision("int8") == "int8"
    assert hardware.torch_dtype("int8") == torch.float32


def test_the_key_follows_the_model_files_the_cpu_and_the_precision(monkeypatch, tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"12345")
    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset({"avx2", "fma", "sse4_2", "aes", "ht"}))
    key = graph_key("reader", str(tmp_path), "int8", NAMES, 2)
    assert key["cpu"] == ["avx2", "fma", "sse4_2"]  # instruction sets only, sorted
    assert graph_key("reader", str(tmp_path), "int8", NAMES, 2) == key
    assert graph_key("reader", str(tmp_path), "fp32", NAMES, 2) != key
    assert graph_key("embedder", str(tmp_path), "int8", NAMES, 2) != key
    (tmp_path / "model.safetensors").write_bytes(b"123456")  # new weights in the same place
    assert graph_key("reader", str(tmp_path), "int8", NAMES, 2) != key
    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset({"avx2", "fma", "sse4_2", "avx512f"}))
    assert graph_key("reader", str(tmp_path), "int8", NAMES, 2)["cpu"] != key["cpu"]
    cache = GraphCache(tmp_path / "cache")
    assert cache.entry_dir(key) != cache.entry_dir({**key, "torch": "0.0"})


def test_a_cached_graph_is_built_once_and_answers_the_same(tmp_path):
    cache, builds = GraphCache(tmp_path), Builds()
    first = cached_traced_forward(builds, NAMES, 2, True, cache, tiny_key())
    second = cached_traced_forward(builds, NAMES, 2, True, cache, tiny_key())
    assert builds.count == 1
    assert isinstance(second, torch.jit.ScriptModule)
    with torch.inference_mode():
        assert all(torch.equal(a, b) for a, b in zip(first(*batch()), second(*batch())))
    cached_traced_forward(builds, NAMES, 2, True, cache, tiny_key(precision="int8"))
    assert builds.count == 2  # another key, another entry
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 2


def test_untraced_models_are_never_cached(tmp_path):
    cache, builds = GraphCache(tmp_path), Builds()
    cached_traced_forward(builds, NAMES, 2, False, cache, tiny_key())
    cached_traced_forward(builds, NAMES, 2, False, cache, tiny_key())
    assert builds.count == 2 and not any(tmp_path.iterdir())


@pytest.mark.parametrize("damage", ["truncate graph", "garbage entry", "other key", "missing check"])
def test_a_broken_or_stale_entry_is_rebuilt_not_used(tmp_path, damage):
    cache, builds = GraphCache(tmp_path), Builds()
    cached_traced_forward(builds, NAMES, 2, True, cache, tiny_key())
    folder = cache.entry_dir(tiny_key())
    if damage == "truncate graph":
        path = folder / graph_cache.GRAPH
        path.write_bytes(path.read_bytes()[: os.path.getsize(path) // 2])
    elif damage == "garbage entry":
        (folder / graph_cache.ENTRY).write_text("{not json")
    elif damage == "other key":  # as if two keys hashed alike, or the key format changed
        entry = json.loads((folder / graph_cache.ENTRY).read_text())
        entry["key"]["torch"] = "1.0"
        (folder / graph_cache.ENTRY).write_text(json.dumps(entry))
    else:
        (folder / graph_cache.CHECK).unlink()
    assert cache.load(tiny_key()) is None
    assert not folder.exists()
    rebuilt = cached_traced_forward(builds, NAMES, 2, True, cache, tiny_key())
    assert builds.count == 2 and isinstance(rebuilt, torch.jit.ScriptModule)
    assert cache.load(tiny_key()) is not None


def test_a_graph_that_no_longer_gives_its_outputs_is_rebuilt(tmp_path):
    cache = GraphCache(tmp_path)
    cached_traced_forward(Builds(), NAMES, 2, True, cache, tiny_key())
    folder = cache.entry_dir(tiny_key())
    other = Tiny()
    with torch.no_grad():
        other.qa_outputs.bias.add_(1.0)
    # A different graph, with a valid digest: only rerunning the check batch can tell.
    GraphCache(tmp_path / "other").save(tiny_key(), torch.jit.trace(other.eval(), batch(), strict=False),
                                        torch.load(folder / graph_cache.CHECK, weights_only=True)["inputs"])
    made = cache.entry_dir(tiny_key()).name
    (folder / graph_cache.GRAPH).write_bytes((tmp_path / "other" / made / graph_cache.GRAPH).read_bytes())
    entry = json.loads((folder / graph_cache.ENTRY).read_text())
    entry["sha256"][graph_cache.GRAPH] = graph_cache.sha256_of_file(folder / graph_cache.GRAPH)
    (folder / graph_cache.ENTRY).write_text(json.dumps(entry))
    assert cache.load(tiny_key()) is None


def test_an_unwritable_cache_only_costs_the_build(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    builds = Builds()
    forward = cached_traced_forward(builds, NAMES, 2, True, GraphCache(blocker / "cache"), tiny_key())
    with torch.inference_mode():
        assert len(forward(*batch())) == 2
    assert builds.count == 1


def test_int8_quantizes_linear_layers_but_the_span_head_and_traces():
    quantized = quantize_int8(Tiny())
    assert isinstance(quantized.dense, torch.ao.nn.quantized.dynamic.Linear)
    # 7-bit weights: AVX2's int8 kernels add pairs of 8-bit activation x weight products in 16 bits,
    # which 2 * 255 * 64 cannot overflow.
    weights = quantized.dense.weight().int_repr()
    assert weights.min() >= -64 and weights.max() <= 63 and weights.abs().max() >= 63
    assert type(quantized.qa_outputs) is torch.nn.Linear
    assert type(Tiny().dense) is torch.nn.Linear  # a copy: the fp32 model is left as it was
    forward = cached_traced_forward(lambda: quantized, NAMES, 2, True, None, None)
    assert isinstance(forward, torch.jit.ScriptModule)
    with torch.inference_mode():
        expected, got = Tiny().eval()(*batch()), forward(*batch())
    assert all(torch.allclose(e, g, atol=0.05) for e, g in zip(expected, got))
