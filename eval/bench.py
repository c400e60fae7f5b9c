"""`groundqa bench`: the project's answering and indexing paths against the naive reference, side by side.

Answering: the same sampled open SQuAD questions go through three pipelines over one index, in
rotating order per question so machine noise falls on all of them alike:
  reference  fp32 eager models, dense retrieval only, spans ranked by reader logit (the naive path)
  fp32       the shipped configuration with fp32 models (what the precision setting is measured against)
  shipped    the shipped configuration as configured (precision "auto" picks bf16 where native)
Indexing: plain sentence-transformers `encode` (fp32, its default batch size) against the project's
embedder, on the same chunk texts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from groundqa.eval.gold import load_gold, sample
from groundqa.eval.metrics import exact_match, f1_score
from groundqa.eval.runner import NEVER_ABSTAIN, gold_rank, reading_on_as_served
from groundqa.eval.stats import percentiles
from groundqa.hardware import resolve_precision
from groundqa.settings import REPO_ROOT, Settings

SQUAD_DEV = REPO_ROOT.parent / "shared" / "data" / "squad" / "squad-v1.1-dev.json.gz"


def add_bench_parser(sub, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("bench", parents=[common], help="time the project's paths against the naive reference")
    parser.add_argument("gold", type=Path, nargs="?", default=SQUAD_DEV, help="SQuAD JSON (default: shared dev set)")
    parser.add_argument("--questions", type=int, default=200, help="sampled questions per path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index-chunks", type=int, default=400, help="chunks embedded per indexing path (0: skip)")
    parser.add_argument("--cache-dir", type=Path, default=Path(".groundqa/eval"), help="open index cache")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.set_defaults(run=run_bench)


@dataclass
class PathResult:
    name: str
    totals_ms: list[float] = field(default_factory=list)
    em: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    found: list[bool] = field(default_factory=list)
    answered: list[bool] = field(default_factory=list)

    def summary(self) -> dict:
        return {**percentiles(self.totals_ms, (50, 95), suffix="_ms"),
                "em": round(100 * statistics.fmean(self.em), 2), "f1": round(100 * statistics.fmean(self.f1), 2),
                "answered": round(100 * statistics.fmean(self.answered), 1),
                "recall_at_k": round(100 * statistics.fmean(self.found), 1)}


def run_bench(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.eval.open_index import open_pipeline
    from groundqa.service.pipeline import Pipeline
    from groundqa.wiring import decision_threshold, make_embedder, make_reader, pipeline_config

    questions = load_gold(args.gold)
    asked = sample(questions, args.questions, args.seed)
    # Every path answers every question (the verifier's threshold at 0 too), reading on where the served
    # pipeline would: EM and F1 compare the spans, not where each abstains.
    shipped_settings = settings.model_copy(update={"no_answer_margin": NEVER_ABSTAIN, "answer_threshold": 0.0})
    fp32_settings = shipped_settings.model_copy(update={"precision": "fp32"})
    # The naive path: eager models, dense retrieval, spans ranked by reader logit alone (no verifier),
    # all top-k passages in one forward.
    reference_settings = fp32_settings.model_copy(update={
        "verifier": "off", "retrieval_mode": "dense", "answer_retrieval_weight": 0.0, "answer_length_penalty": 0.0,
        "read_score_gap": None, "early_exit_margin": None, "early_exit_probability": None,
        "max_read_tokens": None, "trace_models": False})
    threshold = decision_threshold(settings)
    shipped = reading_on_as_served(open_pipeline(shipped_settings, questions, args.gold, args.cache_dir, progress=True),
                                   threshold)
    reference_embedder, reference_reader = make_embedder(reference_settings), make_reader(reference_settings)
    fp32_embedder, fp32_reader = make_embedder(fp32_settings), make_reader(fp32_settings)
    for model in (reference_embedder, reference_reader, fp32_embedder, fp32_reader):
        model.warm_up()
    pipelines = {
        "reference": Pipeline(reference_embedder, shipped.collection, reference_reader,
                              pipeline_config(reference_settings)),
        "fp32": reading_on_as_served(Pipeline(fp32_embedder, shipped.collection, fp32_reader,
                                              pipeline_config(fp32_settings)), threshold),
        "shipped": shipped,
    }
    results = {name: PathResult(name) for name in pipelines}
    names = list(pipelines)
    for pipeline in pipelines.values():  # first calls pay one-off costs (BM25 build, allocator warm-up)
        pipeline.ask(asked[0].question)
    for number, gold in enumerate(asked):
        for name in names[number % 3:] + names[: number % 3]:
            result = pipelines[name].ask(gold.question)
            best = result.answers[0].text if result.answers else None
            row = results[name]
            row.totals_ms.append(result.timings_ms["total"])
            row.em.append(exact_match(best, gold.answers))
            row.f1.append(f1_score(best, gold.answers))
            row.found.append(gold_rank(gold, result.passages) is not None)
            row.answered.append(best is not None)
    report = {"questions": len(asked), "seed": args.seed, "top_k": settings.top_k,
              "precision": resolve_precision(settings.precision),
              "answering": {name: r.summary() for name, r in results.items()}}
    if args.index_chunks:
        texts = [chunk.searched_text for chunk in list(shipped.collection.chunks.values())[: args.index_chunks]]
        report["indexing"] = bench_indexing(texts, shipped.embedder, reference_embedder)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


def bench_indexing(texts: list[str], project_embedder, reference_embedder) -> dict:
    plain = reference_embedder.model  # the same sentence-transformers model in fp32, called the plain way
    plain.encode(texts[:8])
    project_embedder.embed(texts[:8])
    begun = time.perf_counter()
    plain_vectors = plain.encode(texts, normalize_embeddings=True)
    plain_s = time.perf_counter() - begun
    begun = time.perf_counter()
    project_vectors = project_embedder.embed(texts)
    project_s = time.perf_counter() - begun
    agreement = np.sum(plain_vectors * project_vectors, axis=1)
    return {"chunks": len(texts),
            "plain_encode_chunks_per_s": round(len(texts) / plain_s, 1),
            "project_chunks_per_s": round(len(texts) / project_s, 1),
            "speedup": round(plain_s / project_s, 2),
            "cosine_to_plain_min": round(float(agreement.min()), 4),
            "cosine_to_plain_median": round(float(np.median(agreement)), 4)}


def render(report: dict) -> str:
    answering = report["answering"]
    base = answering["reference"]["p50_ms"]
    lines = [f"{report['questions']} open questions (seed {report['seed']}), top-{report['top_k']}, "
             f"shipped precision {report['precision']}",
             "| path | p50 ms | p95 ms | p50 speedup vs reference | EM | F1 | answered % | recall@k |",
             "|---|---|---|---|---|---|---|---|"]
    for name, s in answering.items():
        lines.append(f"| {name} | {s['p50_ms']} | {s['p95_ms']} | {base / s['p50_ms']:.2f}x | {s['em']} | {s['f1']} "
                     f"| {s['answered']} | {s['recall_at_k']} |")
    if "indexing" in report:
        i = report["indexing"]
        lines += ["", f"indexing {i['chunks']} chunks: plain encode {i['plain_encode_chunks_per_s']} chunks/s, "
                      f"project {i['project_chunks_per_s']} chunks/s ({i['speedup']}x); cosine to plain "
                      f"min {i['cosine_to_plain_min']}, median {i['cosine_to_plain_median']}"]
    return "\n".join(lines)
