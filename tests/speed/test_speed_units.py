"""The speed levers' logic, without models: precision choice, passage pruning, admission control."""

import threading
import time

import pytest

from groundqa import hardware
from groundqa.index.types import Chunk, Passage
from groundqa.errors import Overloaded
from groundqa.service.admission import Admission
from groundqa.service.pipeline import worth_reading


def test_auto_precision_follows_the_cpu(monkeypatch):
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset({"avx512f", "amx_bf16"}))
    assert hardware.resolve_precision("auto") == "bf16"
    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset({"avx2"}))
    assert hardware.resolve_precision("auto") == "fp32"
    assert hardware.resolve_precision("bf16") == "bf16"
    with pytest.raises(ValueError):
        hardware.resolve_precision("int4")


@pytest.mark.parametrize("variable, value, precision", [
    ("ONEDNN_MAX_CPU_ISA", "AVX2", "fp32"), ("ONEDNN_MAX_CPU_ISA", "avx512_core_vnni", "fp32"),
    ("ATEN_CPU_CAPABILITY", "avx2", "fp32"), ("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_AMX", "bf16"),
    ("ATEN_CPU_CAPABILITY", "avx512", "bf16"),
])
def test_auto_precision_follows_an_instruction_set_cap(monkeypatch, variable, value, precision):
    """An AVX2 machine imitated on a newer one emulates bf16, slower than fp32: auto must see the cap."""
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset({"avx512f", "avx512_bf16"}))
    monkeypatch.setenv(variable, value)
    assert hardware.resolve_precision("auto") == precision


def _passages(*scores):
    return [Passage(Chunk(f"d{i}#0", f"d{i}", 0, 1, "x"), score, i + 1) for i, score in enumerate(scores)]


def test_only_passages_near_the_best_are_read():
    passages = _passages(0.9, 0.7, 0.5, 0.49, 0.1)
    assert [p.rank for p in worth_reading(passages, 0.4)] == [1, 2, 3]
    assert worth_reading(passages, None) == passages
    assert worth_reading([], 0.4) == []


class MarginReader:
    """Reads each passage as one span whose margin over its window's no-answer logit is given;
    reading passage i costs costs[i] word pieces."""

    def __init__(self, margins, costs=None):
        self.margins, self.calls = margins, []
        self.costs = costs or [100] * len(margins)

    def token_counts(self, question, passages):
        return [self.costs[p.rank - 1] for p in passages]

    def read(self, question, passages):
        from groundqa.service.reader import Reading, Span

        self.calls.append([p.rank for p in passages])
        spans = [Span(p, 0, 1, self.margins[p.rank - 1], 0.0) for p in passages]
        return Reading(sorted(spans, key=lambda s: s.logit, reverse=True), 0.0)


def _pipeline(fake_embedder, reader, **settings):
    from groundqa.index.chunking import ChunkingConfig
    from groundqa.index.collection import Manifest
    from groundqa.service.pipeline import Pipeline
    from groundqa.settings import Settings
    from groundqa.wiring import pipeline_config
    from tests.conftest import faiss_collection

    return Pipeline(fake_embedder, faiss_collection(Manifest("fake", 64, ChunkingConfig(254, 40))), reader,
                    pipeline_config(Settings(**settings)))


def test_without_the_verifier_a_sure_first_passage_is_read_alone_else_the_rest_follow(fake_embedder):
    passages = _passages(0.9, 0.8, 0.7)
    pipeline = _pipeline(fake_embedder, MarginReader([25.0, 30.0, 5.0]), verifier="off", early_exit_margin=20.0)
    reading, unread = pipeline._read("q", passages)
    assert pipeline.reader.calls == [[1]] and [s.passage.rank for s in reading.spans] == [1] and unread == []

    pipeline.reader = MarginReader([12.0, 30.0, 5.0])
    reading, unread = pipeline._read("q", passages)
    assert pipeline.reader.calls == [[1], [2, 3]] and [s.passage.rank for s in reading.spans] == [2, 1, 3]

    pipeline = _pipeline(fake_embedder, MarginReader([25.0, 30.0, 5.0]), verifier="off", early_exit_margin=None)
    pipeline._read("q", passages)
    assert pipeline.reader.calls == [[1, 2, 3]]


@pytest.mark.parametrize("first_verdict, reads", [(0.55, [[1]]), (0.25, [[1], [2, 3]]), (None, [[1], [2, 3]])])
def test_with_the_verifier_the_others_are_read_unless_the_best_passage_is_verified_beyond_doubt(
        fake_embedder, first_verdict, reads):
    """The best passage is read first; its answer is taken alone only at early_exit_probability (0.4)
    or more: at 0.25 it would be answered (the threshold is about 0.15), yet a later passage may hold a better
    one. The verdict after reading on is the answer's."""
    pipeline = _pipeline(fake_embedder, MarginReader([25.0, 30.0, 5.0]))
    pipeline.search = lambda *args: _passages(0.9, 0.8, 0.7)
    verdicts = iter([first_verdict, 0.9])
    pipeline._decide = lambda question, reading: ([], next(verdicts), ())
    result = pipeline.ask("When was it published?")
    assert pipeline.reader.calls == reads
    assert result.best_margin == (first_verdict if reads == [[1]] else 0.9)

    pipeline = _pipeline(fake_embedder, MarginReader([25.0, 30.0, 5.0]), early_exit_probability=None)
    pipeline._read("q", _passages(0.9, 0.8, 0.7))
    assert pipeline.reader.calls == [[1, 2, 3]]


def test_the_early_exit_never_stops_below_the_threshold_answers_are_given_at():
    """An eval that records every answer (threshold 0) exits where the served pipeline would."""
    from groundqa.eval.runner import reading_on_as_served
    from groundqa.settings import Settings
    from groundqa.wiring import pipeline_config

    assert pipeline_config(Settings()).exit_probability() == 0.4
    assert pipeline_config(Settings(answer_threshold=0.0)).exit_probability() == 0.4
    assert pipeline_config(Settings(answer_threshold=0.6)).exit_probability() == 0.6
    assert pipeline_config(Settings(verifier="off")).exit_probability() is None
    assert pipeline_config(Settings(early_exit_probability=None)).exit_probability() is None

    class Recording:
        config = pipeline_config(Settings(answer_threshold=0.0))

    assert reading_on_as_served(Recording(), 0.7).config.exit_probability() == 0.7


def test_reading_stops_before_the_token_budget_is_spent_but_always_reads_the_best_passage(fake_embedder):
    from groundqa.settings import Settings
    from groundqa.index.collection import Manifest
    from groundqa.index.chunking import ChunkingConfig
    from groundqa.service.pipeline import Pipeline
    from groundqa.wiring import pipeline_config
    from tests.conftest import faiss_collection

    def reads(budget, costs):
        settings = Settings(early_exit_probability=None, max_read_tokens=budget)
        pipeline = Pipeline(fake_embedder, faiss_collection(Manifest("fake", 64, ChunkingConfig(254, 40))),
                            MarginReader([5.0, 6.0, 7.0], costs), pipeline_config(settings))
        pipeline._read("q", _passages(0.9, 0.8, 0.7))
        return pipeline.reader.calls

    assert reads(800, [500, 300, 200]) == [[1, 2]]  # 500 + 300 fit, the third would not
    assert reads(400, [500, 300, 200]) == [[1]]  # the best passage alone is over budget: read anyway
    assert reads(800, [300, 600, 100]) == [[1]]  # best first: a cheaper later passage does not jump the queue
    assert reads(None, [500, 300, 200]) == [[1, 2, 3]]


def test_admission_refuses_at_once_when_the_queue_is_full():
    """The refusal says the queue is full: an ask that queued instead would wait for a slot until its
    (long) wait limit and then be refused for that, with another message."""
    admission = Admission(concurrent=1, queued=1, wait_s=60)
    started, release = threading.Event(), threading.Event()

    def hold():
        with admission.admit():
            started.set()
            release.wait(120)  # the slot stays taken until the test is done

    def wait_in_queue():
        with admission.admit():
            pass

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert started.wait(60)
    queued = threading.Thread(target=wait_in_queue, daemon=True)
    queued.start()
    deadline = time.monotonic() + 60
    while admission.waiting < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert admission.waiting == 1
    with pytest.raises(Overloaded, match="busy: 1 questions running and 1 waiting"):
        with admission.admit():
            pass
    assert admission.waiting == 1, "the refused ask never joined the queue"
    release.set()
    holder.join(60)
    queued.join(60)
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
