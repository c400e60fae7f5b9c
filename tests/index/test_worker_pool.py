"""`groundqa index --workers N`: the vectors of N processes are the single process's."""

import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_a_pool_of_workers_embeds_as_the_local_embedder_does(real_embedder):
    from groundqa.index.worker_pool import WorkerPoolEmbedder

    texts = [f"Paragraph {i}: the thermostat number {i} keeps {i % 7} schedules " + "and more words " * (i % 13)
             for i in range(150)]
    pool = WorkerPoolEmbedder(real_embedder, workers=2)
    try:
        pooled = pool.embed(texts)
    finally:
        pool.close()
    local = real_embedder.embed(texts)
    assert pooled.shape == local.shape == (150, real_embedder.dimension)
    cosine = np.sum(pooled * local, axis=1)
    assert cosine.min() > 0.9999, "each text's vector, in its own row"
    assert pool.name == real_embedder.name and pool.dimension == real_embedder.dimension


def test_fewer_than_one_worker_is_refused_before_any_model_loads(tmp_path):
    (tmp_path / "a.txt").write_text("Alpha is the first letter.")
    done = subprocess.run([sys.executable, "-m", "groundqa.cli", "index", str(tmp_path), "--workers", "0",
                           "--index-dir", str(tmp_path / "index")], capture_output=True, text=True, cwd=REPO,
                          timeout=60)
    assert done.returncode == 2 and done.stderr.strip() == "error: --workers must be at least 1, got 0"
    assert not (tmp_path / "index").exists()
