"""int8 models: PyTorch dynamic quantization of a transformer's Linear layers.

Weights are stored as int8 (per output channel), activations are quantized per batch at run time,
and the matrix products run in fbgemm's int8 kernels (AVX2 and up; below that, reference code slower
than fp32). Measured against ONNX Runtime's dynamic int8 in eval/BENCHMARKS.md, "int8 on AVX2": this
was faster on the same CPU, composes with the traced TorchScript graph, and needs no second runtime.
"""

from __future__ import annotations

import warnings

# Left in fp32: the reader's span head (384 -> 2) is tiny, and its logits are the answer's score.
KEEP_FP32 = ("qa_outputs",)


def quantize_int8(model, keep_fp32: tuple[str, ...] = KEEP_FP32):
    """A copy of `model` (eval mode) with every nn.Linear but those named in keep_fp32 dynamically
    quantized to int8 weights."""
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    linear_names = {name for name, module in model.named_modules()
                    if isinstance(module, torch.nn.Linear) and name.split(".")[-1] not in keep_fp32}
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao, which ships no CPU int8 kernels
        # for this torch; the fbgemm kernels this calls remain.
        warnings.simplefilter("ignore")
        return quantize_dynamic(model.eval(), {name: per_channel_dynamic_qconfig for name in linear_names},
                                dtype=torch.qint8)
