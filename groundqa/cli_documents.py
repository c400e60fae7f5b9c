"""`groundqa documents list|show|rm` and `groundqa status`: the index as it is stored, without
loading any model."""

from __future__ import annotations

import argparse
import dataclasses
import json

from groundqa.errors import DocumentNotFound, GroundQAError
from groundqa.settings import Settings


def add_document_parsers(sub, common: argparse.ArgumentParser) -> None:
    documents = sub.add_parser("documents", parents=[common],
                               help="list, show or remove indexed documents")
    actions = documents.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="documents, sorted by id")
    listing.add_argument("--json", action="store_true", help="one JSON object per document")
    listing.set_defaults(run=_run_list)
    show = actions.add_parser("show", parents=[common], help="one document's text and meta")
    show.add_argument("doc_id")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(run=_run_show)
    remove = actions.add_parser("rm", parents=[common],
                                help="remove documents with their chunks and vectors")
    remove.add_argument("doc_ids", nargs="+", metavar="DOC_ID")
    remove.set_defaults(run=_run_rm)
    status = sub.add_parser("status", parents=[common],
                            help="where the index is, what it holds, how it was built")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(run=_run_status)


def _open(settings: Settings):
    from groundqa.wiring import make_catalog

    catalog = make_catalog(settings, None)
    return catalog, catalog.open(None)


def _run_list(args: argparse.Namespace, settings: Settings) -> int:
    catalog, collection = _open(settings)
    catalog.close()
    for doc_id in sorted(collection.documents):
        document, chunks = collection.documents[doc_id], len(collection.doc_rows[doc_id])
        if args.json:
            print(json.dumps({"doc_id": doc_id, "title": document.title, "source": document.source,
                              "chars": len(document.text), "chunks": chunks, "meta": document.meta}, ensure_ascii=False))
        else:
            print(f"{doc_id}\t{document.title}\t{len(document.text)} characters, {chunks} chunks")
    return 0


def _run_show(args: argparse.Namespace, settings: Settings) -> int:
    catalog, collection = _open(settings)
    catalog.close()
    document = collection.document(args.doc_id)
    if args.json:
        print(json.dumps({"doc_id": document.doc_id, "title": document.title, "source": document.source,
                          "meta": document.meta, "text": document.text}, ensure_ascii=False, indent=2))
    else:
        print(f"{document.doc_id}: {document.title}\nsource: {document.source}\nmeta: "
              f"{json.dumps(document.meta, ensure_ascii=False)}\n\n{document.text}")
    return 0


def _run_rm(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.index.catalog import update_stored
    from groundqa.wiring import make_catalog

    catalog = make_catalog(settings, None)
    try:
        _, removed = update_stored(catalog, None, lambda stored: _delete_known(stored, args.doc_ids))
    finally:
        catalog.close()
    print(f"removed {len(removed)} documents: {', '.join(removed)}")
    return 0


def _delete_known(collection, doc_ids: list[str]) -> list[str]:
    unknown = [doc_id for doc_id in doc_ids if doc_id not in collection.documents]
    if unknown:
        raise DocumentNotFound(f"no document with id {', '.join(map(repr, unknown))}; nothing was removed")
    return collection.delete(doc_ids)


def _run_status(args: argparse.Namespace, settings: Settings) -> int:
    try:
        catalog, collection = _open(settings)
    except GroundQAError as exc:
        raise GroundQAError(f"no usable index: {exc}") from None
    catalog.close()
    manifest = collection.manifest
    status = {"index": catalog.location, "documents": len(collection), "chunks": collection.chunk_count,
              "embedding_model": manifest.embedding_model, "dimension": manifest.dimension,
              "chunking": dataclasses.asdict(manifest.chunking),
              "vector_store": settings.vector_store}
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        print("\n".join(f"{key}: {value}" for key, value in status.items()))
    return 0
