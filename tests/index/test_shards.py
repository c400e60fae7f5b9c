"""Shards by document id (fast, FakeEmbedder): what each shard owns, and what it may remove."""

from groundqa.index.chunking import ChunkingConfig
from groundqa.index.collection import Manifest
from groundqa.index.ingest import Shard, scan, sync
from tests.conftest import FakeEmbedder, faiss_collection


def records(count, broken_last=False):
    lines = [f'{{"id": "q{n}", "text": "Record number {n} says the gate opens at {n} am."}}' for n in range(count)]
    if broken_last:
        lines[-1] = lines[-1][:-5]
    return "\n".join(lines) + "\n"


def test_shards_split_the_documents_and_keep_those_of_a_file_that_failed(tmp_path):
    manifest = Manifest(FakeEmbedder().name, FakeEmbedder().dimension, ChunkingConfig(254, 40))
    folder = tmp_path / "gates"
    folder.mkdir()
    (folder / "records.jsonl").write_text(records(8))
    owners = {d.doc_id: [Shard(i, 2).owns(d.doc_id) for i in (0, 1)] for d in scan([folder]).documents}
    assert all(sum(owned) == 1 for owned in owners.values()) and len(owners) == 8
    collection = faiss_collection(manifest)
    for index in (0, 1):
        sync(collection, [folder], FakeEmbedder(), shard=Shard(index, 2))
    assert len(collection.documents) == 8
    (folder / "records.jsonl").write_text(records(8, broken_last=True))
    for index in (0, 1):
        report = sync(collection, [folder], FakeEmbedder(), shard=Shard(index, 2))
        assert report.problems, "every shard hears that the file failed"
    assert len(collection.documents) == 8, "no shard took the failed file's documents for gone"
