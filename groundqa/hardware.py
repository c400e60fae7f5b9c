"""What the CPU can do fast, for choosing the inference precision; how the process uses the machine."""

from __future__ import annotations

import ctypes
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

Precision = Literal["fp32", "bf16", "int8"]
PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "int8")
# AMX tiles or AVX-512 BF16 run bf16 matrix products natively; without them torch emulates bf16,
# which is slower than fp32.
NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
# The instruction sets that choose kernels (bf16, int8, fp32): a compiled or quantized graph is
# cached per set of these, so a cache carried to another CPU is rebuilt, not run.
ISA_FLAG_PREFIXES = ("avx", "amx", "fma", "f16c", "sse4", "vnni")
# oneDNN instruction-set caps below native bf16 (ONEDNN_MAX_CPU_ISA), and ATEN's (ATEN_CPU_CAPABILITY).
ONEDNN_CAPS_WITHOUT_BF16 = frozenset({"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE",
                                      "AVX512_CORE_VNNI"})
ATEN_CAPS_WITHOUT_BF16 = frozenset({"default", "avx2"})


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def resolve_precision(setting: str) -> Precision:
    """`auto` picks bf16 where the CPU runs it natively, fp32 elsewhere. int8 is never picked: it is
    1.5-1.8x faster than fp32 and within 0.5 F1 of it on SQuAD, but 2.6-5.9 F1 lower on the product and
    default-corpus gold sets (eval/BENCHMARKS.md, "int8 without the lost bit")."""
    if setting == "auto":
        return "bf16" if native_bf16() else "fp32"
    if setting not in PRECISIONS:
        raise ValueError(f"precision must be auto, {', '.join(PRECISIONS)}, got {setting!r}")
    return setting  # type: ignore[return-value]


def native_bf16() -> bool:
    """Whether bf16 runs natively: the CPU has it, and the process is not told to use less
    (ONEDNN_MAX_CPU_ISA=AVX2 or ATEN_CPU_CAPABILITY=avx2, as when an AVX2 machine is imitated on a newer
    one; bf16 is then emulated and slower than fp32)."""
    if not cpu_flags() & NATIVE_BF16_FLAGS:
        return False
    onednn = os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()
    aten = os.environ.get("ATEN_CPU_CAPABILITY", "").strip().lower()
    return onednn not in ONEDNN_CAPS_WITHOUT_BF16 and aten not in ATEN_CAPS_WITHOUT_BF16


def isa_flags() -> list[str]:
    """The CPU's instruction-set flags that decide which kernels run, sorted."""
    return sorted(flag for flag in cpu_flags() if flag.startswith(ISA_FLAG_PREFIXES))


def torch_dtype(precision: Precision):
    """The dtype to load weights in: int8 models are loaded in fp32 and then quantized."""
    import torch

    return torch.bfloat16 if precision == "bf16" else torch.float32


def share_cores(running: int, cores: int | None = None) -> None:
    """Give the calling thread's model runs an equal share of the cores among `running` concurrent
    asks. torch's OpenMP thread count is per calling thread, so this does not touch other asks:
    one ask alone uses every core, two at once use one each (the faster split, eval/BENCHMARKS.md)."""
    import torch

    cores = cores or os.cpu_count() or 1
    torch.set_num_threads(max(1, cores // max(1, running)))


M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas (0: leave its default, 8 per core). Each thread that allocates can
    otherwise get an arena of its own, and a server's memory grows with them. False where the C
    library is not glibc."""
    if arenas <= 0:
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False
