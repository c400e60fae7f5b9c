"""int8 models: PyTorch dynamic quantization of a transformer's Linear layers.

Weights are stored as int8 per output channel, activations are quantized per batch at run time, and
the matrix products run in fbgemm's int8 kernels (AVX2 and up; below that, reference code slower than
fp32). Measured against ONNX Runtime's dynamic int8 in eval/BENCHMARKS.md, "int8 on AVX2": this was
faster on the same CPU, composes with the traced TorchScript graph, and needs no second runtime.

Activations use the full 8 bits and weights 7 (-64..63). AVX2's int8 kernels multiply unsigned 8-bit
activations by signed 8-bit weights and add pairs of products in 16 bits, with saturation; with 7-bit
weights a pair is at most 2 * 255 * 64 = 32640 < 2**15, so nothing saturates. torch's stock dynamic
Linear keeps 8-bit weights and cuts the activations to 7 bits instead (`reduce_range`): activations are
quantized per tensor, over every token of the batch, so their bit is worth far more than a weight's
(per channel), and that choice cost the reader 1.3-2.4 F1 against 0.3 for this one ("int8 without the
lost bit").
"""

from __future__ import annotations

import warnings
from functools import cache

# Left in fp32: the reader's span head (384 -> 2) is tiny, and its logits are the answer's score.
KEEP_FP32 = ("qa_outputs",)
WEIGHT_BITS = 7
# Part of a cached graph's key: a graph quantized another way is rebuilt, not loaded.
SCHEME = f"dynamic int8: activations 8-bit per batch, weights {WEIGHT_BITS}-bit per channel"


def quantize_int8(model, keep_fp32: tuple[str, ...] = KEEP_FP32):
    """A copy of `model` (eval mode) with every nn.Linear but those named in keep_fp32 dynamically
    quantized to int8 weights."""
    import torch
    from torch.ao.quantization import PerChannelMinMaxObserver, PlaceholderObserver, QConfig, quantize_dynamic

    largest = 2 ** (WEIGHT_BITS - 1) - 1
    qconfig = QConfig(
        activation=PlaceholderObserver.with_args(dtype=torch.quint8, quant_min=0, quant_max=255, is_dynamic=True),
        weight=PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                                  quant_min=-largest - 1, quant_max=largest))
    linear_names = {name for name, module in model.named_modules()
                    if isinstance(module, torch.nn.Linear) and name.split(".")[-1] not in keep_fp32}
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao, which ships no CPU int8 kernels
        # for this torch; the fbgemm kernels this calls remain.
        warnings.simplefilter("ignore")
        return quantize_dynamic(model.eval(), {name: qconfig for name in linear_names}, dtype=torch.qint8,
                                mapping={torch.nn.Linear: _full_range_linear_class()})


@cache
def _full_range_linear_class():
    import torch
    from torch.ao.nn.quantized.dynamic import Linear

    class FullRangeLinear(Linear):
        """torch's dynamic int8 Linear without `reduce_range`: activations keep all 8 bits."""

        def forward(self, x):
            packed = self._packed_params._packed_params
            return torch.ops.quantized.linear_dynamic(x, packed, False).to(x.dtype)

        def _get_name(self):
            return "FullRangeLinear"

    return FullRangeLinear
