"""`groundqa index --workers N`: one embedding call spread over N processes on one machine, each with
its own copy of the model and its share of the cores. Chunking, storing and the index's consistency
stay in the calling process; only the vectors come from the workers."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Sequence

import numpy as np

from groundqa.errors import GroundQAError
from groundqa.index.embedder import SentenceTransformerEmbedder

# Texts per piece sent to a worker: several of its batches, so that a piece pays little for the
# trip and the pieces still spread evenly over the workers.
BATCHES_PER_PIECE = 4

_worker_embedder: SentenceTransformerEmbedder | None = None


class WorkerPoolEmbedder:
    """The Embedder seam over `local` (which still sizes chunks and names the model) with its
    embedding done by `workers` processes. Texts are sorted by length and cut into pieces, so each
    piece pads as little as the local embedder's batches do."""

    def __init__(self, local: SentenceTransformerEmbedder, workers: int) -> None:
        if workers < 2:
            raise ValueError("a pool needs at least 2 workers; use the local embedder")
        self.local = local
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    @property
    def name(self) -> str:
        return self.local.name

    @property
    def dimension(self) -> int:
        return self.local.dimension

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return self.local.token_offsets(text)

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        piece = self.local.batch_size * BATCHES_PER_PIECE
        if len(texts) <= piece:  # not worth starting the workers for
            return self.local.embed(texts, progress)
        from tqdm import tqdm

        order = np.argsort([-len(text) for text in texts], kind="stable")
        pieces = [order[begin:begin + piece] for begin in range(0, len(order), piece)]
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        pool = self._start()
        futures = {pool.submit(_embed_in_worker, [texts[i] for i in rows]): rows for rows in pieces}
        try:
            with tqdm(total=len(texts), desc="Embedding", unit="chunk", disable=not progress) as bar:
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    for future in done:
                        vectors[futures[future]] = future.result()
                        bar.update(len(futures[future]))
        except BrokenProcessPool:
            self.close()
            raise GroundQAError(f"an embedding worker died (out of memory?); try fewer --workers than "
                                f"{self.workers}: the index is unchanged") from None
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return vectors

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            local = self.local
            settings = dict(model=local.setting, batch_size=local.batch_size, precision=local.precision, trace=local.trace,
                            cache_dir=local.cache.root if local.cache else None)
            threads = max(1, (os.cpu_count() or 1) // self.workers)
            # spawn, not fork: a forked copy of a process that has used torch's thread pools can hang.
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(settings, threads))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _start_worker(settings: dict, threads: int) -> None:
    global _worker_embedder
    import torch

    torch.set_num_threads(threads)
    _worker_embedder = SentenceTransformerEmbedder(**settings)
    _worker_embedder.warm_up()


def _embed_in_worker(texts: list[str]) -> np.ndarray:
    assert _worker_embedder is not None, "the pool's initializer loads the model"
    return _worker_embedder.embed(texts)
