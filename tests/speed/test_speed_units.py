"""The speed levers' logic, without models: precision choice, passage pruning, admission control."""

import threading
import time

import pytest

from groundqa import hardware
from index.types import Chunk, Passage
from service.admission import Admission, Overloaded
from service.pipeline import worth_reading


def test_auto_precision_follows_the_cpu(monkeypatch):
    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset({"avx512f", "amx_bf16"}))
    assert hardware.resolve_precision("auto") == "bf16"
    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset({"avx2"}))
    assert hardware.resolve_precision("auto") == "fp32"
    assert hardware.resolve_precision("bf16") == "bf16"
    with pytest.raises(ValueError):
        hardware.resolve_precision("int4")


def _passages(*scores):
    return [Passage(Chunk(f"d{i}#0", f"d{i}", 0, 1, "x"), score, i + 1) for i, score in enumerate(scores)]


def test_only_passages_near_the_best_are_read():
    passages = _passages(0.9, 0.7, 0.5, 0.49, 0.1)
    assert [p.rank for p in worth_reading(passages, 0.4)] == [1, 2, 3]
    assert worth_reading(passages, None) == passages
    assert worth_reading([], 0.4) == []


def test_admission_refuses_at_once_when_the_queue_is_full():
    admission = Admission(concurrent=1, queued=1, wait_s=5)
    started, release = threading.Event(), threading.Event()

    def hold():
        with admission.admit():
            started.set()
            release.wait(5)

    def wait_in_queue():
        with admission.admit():
            pass

    holder = threading.Thread(target=hold)
    holder.start()
    started.wait(5)
    queued = threading.Thread(target=wait_in_queue)
    queued.start()
    while admission.waiting < 1:
        time.sleep(0.01)
    begun = time.monotonic()
    with pytest.raises(Overloaded, match="busy"):
        with admission.admit():
            pass
    assert time.monotonic() - begun < 0.5
    release.set()
    holder.join(5)
    queued.join(5)
    with admission.admit() as running:  # slots come back after use
        assert running == 1


def test_admission_gives_up_after_the_wait_limit():
    admission = Admission(concurrent=1, queued=4, wait_s=0.2)
    with admission.admit():
        with pytest.raises(Overloaded, match="0.2 s"):
            with admission.admit():
                pass


def test_malloc_arenas_are_capped_on_glibc_and_left_alone_when_zero():
    import platform

    from groundqa.hardware import limit_malloc_arenas

    assert limit_malloc_arenas(0) is False
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    assert limit_malloc_arenas(2) is True
