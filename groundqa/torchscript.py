"""A transformer's forward pass as a frozen TorchScript graph, with the eager model as the fallback.

Run eagerly, every one of the ~150 operations of a forward pass goes back through Python and takes
the GIL: short inputs (a question to embed) are dominated by that overhead, and two asks running at
once queue on the GIL. A traced graph runs the whole pass in C++ (eval/BENCHMARKS.md, "Speed").
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:
    from groundqa.graph_cache import GraphCache

log = logging.getLogger(__name__)

# Model inputs the example batches below can be made for; a model needing others runs eagerly.
TRACEABLE_INPUTS = ("input_ids", "attention_mask", "token_type_ids")

Forward = Callable[..., tuple]  # the model's inputs, positionally, in input_names order -> its first outputs


def traced_forward(model, input_names: Sequence[str], outputs: int, trace: bool = True) -> Forward:
    """`model(**inputs)[:outputs]` taking the inputs positionally: a frozen TorchScript graph when
    `trace` is set and the graph agrees with the eager model on a batch it was not traced on, else
    the eager model itself."""
    eager = _positional(model, tuple(input_names), outputs)
    if not trace:
        return eager
    unsupported = set(input_names) - set(TRACEABLE_INPUTS)
    if unsupported:
        log.warning("running %s eagerly: cannot trace inputs %s", type(model).__name__, sorted(unsupported))
        return eager
    vocab_size = int(getattr(model.config, "vocab_size", 1000))
    try:
        graph = _trace(eager, _example(input_names, vocab_size, batch=2, length=24, seed=0))
        agrees = all(_agree(graph, eager, input_names, _example(input_names, vocab_size, batch, length, seed))
                     for batch, length, seed in ((3, 41, 1), (1, 9, 2)))
    except Exception as exc:  # noqa: BLE001 - tracing only saves time; the eager model still answers
        log.warning("running %s eagerly: tracing failed: %s", type(model).__name__, exc)
        return eager
    if not agrees:
        log.warning("running %s eagerly: the traced graph disagrees with the model", type(model).__name__)
        return eager
    return graph


def cached_traced_forward(build: Callable[[], Any], input_names: Sequence[str], outputs: int, trace: bool,
                          cache: "GraphCache | None", key: dict[str, Any] | None) -> Forward:
    """traced_forward(build(), ...), with the traced graph taken from `cache` under `key` when it holds
    one (then build() is never called: the model need not even be loaded), and put there when not."""
    if trace and cache is not None and key is not None:
        graph = cache.load(key)
        if graph is not None:
            return graph
    model = build()
    forward = traced_forward(model, input_names, outputs, trace)
    if trace and cache is not None and key is not None and _is_graph(forward):
        vocab_size = int(getattr(model.config, "vocab_size", 1000))
        cache.save(key, forward, _example(input_names, vocab_size, batch=2, length=24, seed=3))
    return forward


def _is_graph(forward) -> bool:
    import torch

    return isinstance(forward, torch.jit.ScriptModule)


def _positional(model, input_names: tuple[str, ...], outputs: int):
    import torch

    class Positional(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            return tuple(self.model(**dict(zip(input_names, inputs)), return_dict=False)[:outputs])

    return Positional().eval()


def _example(input_names: Sequence[str], vocab_size: int, batch: int, length: int, seed: int) -> tuple:
    """A batch, inputs in input_names order. With two rows or more the last row is padded, so the
    graph is traced with a real attention mask."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(min(100, vocab_size - 1), vocab_size, (batch, length), generator=generator)
    mask = torch.ones_like(ids)
    if batch > 1:
        mask[-1, length * 2 // 3:] = 0
    made = {"input_ids": ids * mask, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    return tuple(made[name] for name in input_names)


def _trace(module, example: tuple):
    import torch

    # transformers warns that its Python branches on shapes are fixed in the trace (the agreement
    # check on other shapes guards against a branch taken the wrong way), and logs about a training
    # loss when freezing reads every attribute of the model: neither concerns inference.
    transformers_log = logging.getLogger("transformers")
    level = transformers_log.level
    transformers_log.setLevel(logging.ERROR)
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.jit.freeze(torch.jit.trace(module, example, strict=False, check_trace=False))
    finally:
        transformers_log.setLevel(level)


def _agree(graph, eager, input_names: Sequence[str], example: tuple) -> bool:
    import torch

    with torch.inference_mode():
        expected, got = eager(*example), graph(*example)
    # Positions the attention mask pads out are free to differ; without a mask, every position counts.
    real = example[list(input_names).index("attention_mask")].bool() if "attention_mask" in input_names else ...
    return len(expected) == len(got) and all(
        torch.allclose(e.float()[real], g.float()[real], rtol=1e-2, atol=2e-2) for e, g in zip(expected, got))
