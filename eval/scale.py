"""`groundqa scale`: FAISS index types at 100k and 1M chunks: build time, search latency, memory, recall.

Vectors are synthetic (unit-length, clustered like text embeddings are, 384 dimensions like the
embedder's); recall@10 of each approximate index is measured against exact (flat) search on the
same queries. The project's own FaissStore is measured too, filled in batches as an ingest fills it,
with the layout it picks for the size and the nprobe values around the default.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from groundqa.eval.stats import percentiles
from groundqa.settings import Settings
from groundqa.wiring import faiss_layout

DIMENSION = 384


def add_scale_parser(sub, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("scale", parents=[common], help="FAISS index types at large sizes (synthetic vectors)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--store-only", action="store_true",
                        help="only the project's FaissStore (with flat as the exact yardstick), not every index type")
    parser.add_argument("--milvus", action="store_true", help="also measure the Milvus store (Milvus Lite, temp file)")
    parser.add_argument("--milvus-uri", help="also measure the Milvus store on this server (a temporary collection)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.set_defaults(run=run_scale)


def synthetic_vectors(count: int, seed: int, centers: int = 2000, intrinsic: int = 48) -> np.ndarray:
    """Clustered unit vectors that vary along few directions, as sentence embeddings do (isotropic
    384-dimensional noise would be far harder for any approximate index than real text)."""
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(99).standard_normal((intrinsic, DIMENSION)).astype(np.float32)
    middle = np.random.default_rng(98).standard_normal((centers, intrinsic)).astype(np.float32)
    latent = middle[rng.integers(0, centers, count)] + 0.7 * rng.standard_normal((count, intrinsic)).astype(np.float32)
    vectors = latent @ basis + 2.0 * rng.standard_normal((count, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def index_types(count: int) -> dict[str, tuple[str, dict]]:
    """name -> (faiss factory string, search parameters)."""
    lists = int(4 * np.sqrt(count))
    return {"flat": ("Flat", {}),
            "hnsw32 ef64": ("HNSW32", {"efSearch": 64}),
            "hnsw32 ef128": ("HNSW32", {"efSearch": 128}),
            f"ivf{lists} nprobe16": (f"IVF{lists},Flat", {"nprobe": 16}),
            f"ivf{lists} nprobe64": (f"IVF{lists},Flat", {"nprobe": 64})}


def measure(vectors: np.ndarray, queries: np.ndarray, factory: str, params: dict) -> tuple[dict, np.ndarray]:
    """A FAISS index built from `factory`: its figures and the rows it found per query."""
    import faiss

    index = faiss.index_factory(DIMENSION, factory, faiss.METRIC_INNER_PRODUCT)
    begun = time.perf_counter()
    if not index.is_trained:
        index.train(vectors[np.random.default_rng(1).choice(len(vectors), min(len(vectors), 100_000), replace=False)])
    if "HNSW" in factory:
        index.hnsw.efConstruction = 40
    index.add(vectors)
    build_s = time.perf_counter() - begun
    for name, value in params.items():
        faiss.ParameterSpace().set_index_parameter(index, name, value)
    latency, found = time_searches(lambda query: index.search(query[None, :], 10)[1][0], queries)
    return {"build_s": round(build_s, 1), **latency,
            "memory_mb": round(len(faiss.serialize_index(index)) / 2**20, 1)}, found


def measure_store(vectors: np.ndarray, queries: np.ndarray, layout, nprobes: list[int]) -> dict[str, tuple[dict, list]]:
    """The project's FaissStore, filled 20,000 vectors at a time: its figures per nprobe."""
    from dataclasses import replace

    from groundqa.index.store import FaissStore

    store = FaissStore(DIMENSION, layout=layout)
    begun = time.perf_counter()
    for start in range(0, len(vectors), 20_000):
        store.add(np.arange(start, min(start + 20_000, len(vectors)), dtype=np.int64), vectors[start:start + 20_000])
    build_s = time.perf_counter() - begun
    measured = {}
    for nprobe in nprobes if store.kind != "flat" else [layout.nprobe]:
        store.layout = replace(layout, nprobe=nprobe)
        latency, found = time_searches(lambda query: [row for row, _ in store.search(query, 10)], queries)
        name = f"store {store.kind}" + (f" nprobe{nprobe}" if store.kind != "flat" else "")
        measured[name] = ({"build_s": round(build_s, 1), **latency, "memory_mb": None}, found)
    return measured


def measure_milvus(vectors: np.ndarray, queries: np.ndarray, uri: str | None = None) -> tuple[dict, np.ndarray]:
    """The project's MilvusStore (what `GROUNDQA_VECTOR_STORE=milvus` uses) over a Milvus Lite file,
    or on the server at `uri` in a collection made for the run and dropped after it."""
    import tempfile
    import uuid

    from groundqa.index.milvus_store import MilvusStore

    with tempfile.TemporaryDirectory() as folder:
        name = f"scale_{uuid.uuid4().hex[:8]}"
        store = MilvusStore(uri or str(Path(folder) / "scale.db"), name, DIMENSION)
        try:
            begun = time.perf_counter()
            store.add(np.arange(len(vectors), dtype=np.int64), vectors)
            store.flush()
            build_s = time.perf_counter() - begun
            latency, found = time_searches(lambda query: [row for row, _ in store.search(query, 10)], queries)
        finally:
            if uri:
                store.client.drop_collection(name)
            store.close()
    return {"build_s": round(build_s, 1), **latency, "memory_mb": None}, found


def time_searches(search, queries: np.ndarray) -> tuple[dict, list]:
    """Latency percentiles of `search` over the queries, one at a time, and the ids each found."""
    latencies, found = [], []
    for query in queries:
        started = time.perf_counter()
        found.append(list(search(query)))
        latencies.append((time.perf_counter() - started) * 1000)
    return percentiles(latencies, (50, 95), digits=3, prefix="search_p", suffix="_ms"), found


def recall_at_10(found: list, exact: list) -> float:
    return round(100 * float(np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact)])), 1)


def run_scale(args: argparse.Namespace, settings: Settings) -> int:
    import faiss

    if settings.threads:
        faiss.omp_set_num_threads(settings.threads)
    report = {}
    for count in args.sizes:
        vectors = synthetic_vectors(count, seed=0)
        queries = synthetic_vectors(args.queries, seed=2)
        rows, exact = {}, []

        def add(name: str, measured: tuple[dict, list]) -> None:
            row, found = measured
            if not exact:
                exact.extend(found)  # flat comes first: exact search
            rows[name] = {**row, "recall_at_10": recall_at_10(found, exact)}
            print(f"{count:>9} {name:<10} {json.dumps(rows[name])}", flush=True)

        for name, (factory, params) in index_types(count).items():
            if name == "flat" or not args.store_only:
                add(name, measure(vectors, queries, factory, params))
        layout = faiss_layout(settings)
        for name, measured in measure_store(vectors, queries, layout, sorted({16, layout.nprobe, 64})).items():
            add(name, measured)
        if args.milvus:
            add("milvus-lite", measure_milvus(vectors, queries))
        if args.milvus_uri:
            add("milvus-server", measure_milvus(vectors, queries, args.milvus_uri))
        report[str(count)] = rows
        del vectors
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0
