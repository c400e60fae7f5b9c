"""`groundqa collections list|create|rm`, on the index directory (or Milvus) itself, without loading a
model; a running server sees the change on its next request for that collection."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from groundqa.errors import GroundQAError, IndexNotReady
from groundqa.settings import Settings


def add_collections_parser(sub, common: argparse.ArgumentParser) -> None:
    collections = sub.add_parser("collections", parents=[common], help="named collections: list, create, remove")
    actions = collections.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="every collection with its size")
    listing.add_argument("--json", action="store_true", help="one JSON object per collection")
    listing.set_defaults(run=_run_list)
    create = actions.add_parser("create", parents=[common], help="a new, empty collection")
    create.add_argument("name", help="lower-case letters, digits and '_', starting with a letter")
    create.add_argument("--read-key", help="make it private: reading needs this key (or the write or admin key)")
    create.add_argument("--write-key", help="a key that may write (and read) this collection only")
    create.add_argument("--verifier", type=Path, help="its own answer verifier (a file `groundqa calibrate` wrote)")
    create.set_defaults(run=_run_create)
    remove = actions.add_parser("rm", parents=[common], help="delete a collection: its documents, index and feedback")
    remove.add_argument("name")
    remove.set_defaults(run=_run_rm)


def _run_list(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.service.collections import DEFAULT, make_shelf, settings_for
    from groundqa.wiring import make_catalog

    shelf = make_shelf(settings)
    for name in [DEFAULT, *shelf.names()]:
        record = shelf.record(name) if name != DEFAULT else None
        catalog = make_catalog(settings_for(settings, name), None)
        try:
            collection = catalog.open(None)
            size = {"documents": len(collection), "chunks": collection.chunk_count}
        except IndexNotReady:
            size = {"documents": 0, "chunks": 0}
        finally:
            catalog.close()
        private = bool(record and record.private)
        if args.json:
            print(json.dumps({"name": name, **size, "private": private,
                              "own_verifier": bool(record and record.verifier)}))
        else:
            print(f"{name}\t{size['documents']} documents, {size['chunks']} chunks" + ("\tprivate" if private else ""))
    return 0


def _run_create(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.service.collections import Record, make_shelf
    from groundqa.service.verify import Verifier

    verifier = None
    if args.verifier is not None:
        verifier = Verifier.load(args.verifier).to_json()
    make_shelf(settings).add(Record.new(args.name, args.read_key, args.write_key, verifier))
    print(f"created collection {args.name}: add documents with `groundqa index PATH --collection {args.name}` or "
          f"POST /v1/collections/{args.name}/documents")
    return 0


def _run_rm(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.service.collections import DEFAULT, make_shelf, validate_name

    if validate_name(args.name) == DEFAULT:
        raise GroundQAError("the default collection cannot be removed (remove its documents instead)")
    make_shelf(settings).remove(args.name)
    print(f"removed collection {args.name}")
    return 0
