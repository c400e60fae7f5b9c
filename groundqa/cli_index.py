"""`groundqa index [PATH|URL ...]`: read files, folders and web sites, then bring the index in step with
them. Everything is read (and every site fetched) before a model loads, so problems are known at once."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from groundqa.errors import GroundQAError
from groundqa.settings import Settings


def add_site_options(index: argparse.ArgumentParser) -> None:
    index.add_argument("--max-pages", type=int, default=200, metavar="N",
                       help="pages to fetch at most from each web site given as a URL")
    index.add_argument("--delay", type=float, default=1.0, metavar="SECONDS",
                       help="pause between two requests to a web site (its robots.txt Crawl-delay when longer)")


def run_index(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.cli import loading_models
    from groundqa.index.catalog import update_stored
    from groundqa.index.web import is_url
    from groundqa.index.ingest import SUPPORTED_TYPES, ScanResult, Shard, scan, sync
    from groundqa.index.sandbox import ParseBudget
    from groundqa.wiring import expected_manifest, make_catalog, make_embedder

    targets = [str(target) for target in args.paths] or [str(settings.corpus_dir)]
    urls = [target for target in targets if is_url(target)]
    paths = [Path(target) for target in targets if not is_url(target)]
    if args.name is not None and urls:
        raise GroundQAError("--as names a folder; a web site's pages are named by their URLs")
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise GroundQAError(f"no such file or folder: {', '.join(missing)}")
    if args.workers < 1:
        raise GroundQAError(f"--workers must be at least 1, got {args.workers}")
    if args.max_pages < 1 or args.delay < 0:
        raise GroundQAError("--max-pages must be at least 1 and --delay at least 0")
    budget = ParseBudget(settings.parse_timeout_s, settings.parse_memory_mb)
    # reads the files, no models yet: their problems are known at once
    scanned = scan(paths, args.name, budget) if paths else ScanResult()
    if urls:
        _fetch_sites(scanned, urls, args, settings, budget)
    for note in scanned.skipped:
        print(f"skipped {note}", file=sys.stderr)
    for note in scanned.warnings:
        print(f"warning: {note}", file=sys.stderr)
    if not scanned.documents and not scanned.problems and not any(map(is_url, scanned.roots)):
        raise GroundQAError(f"no documents to index in {', '.join(targets)} (groundqa reads {SUPPORTED_TYPES}, "
                            "and web sites given as http(s) URLs)")
    loading_models("the embedding model")
    embedder = make_embedder(settings)
    if args.workers > 1:
        from groundqa.index.worker_pool import WorkerPoolEmbedder

        embedder = WorkerPoolEmbedder(embedder, args.workers)
    catalog = make_catalog(settings, embedder.dimension)
    try:
        collection, report = update_stored(catalog, expected_manifest(settings, embedder),
                                           lambda stored: sync(stored, scanned, embedder, progress=not args.quiet,
                                                               shard=args.shard or Shard()))
    finally:
        catalog.close()
        if args.workers > 1:
            embedder.close()
    for problem in report.problems:
        print(f"could not read {problem}", file=sys.stderr)
    up = report.upsert
    print(f"added {len(up.added)}, updated {len(up.updated)}, unchanged {len(up.unchanged)}, "
          f"removed {len(report.removed)} documents; embedded {up.chunks_embedded} chunks. "
          f"Index {catalog.location}: {len(collection)} documents, {collection.chunk_count} chunks.")
    return 1 if report.problems else 0


def _fetch_sites(scanned, urls: list[str], args: argparse.Namespace, settings: Settings, budget) -> None:
    """Crawl each site into `scanned`: its pages, its problems, and its name among the roots."""
    from groundqa.index.crawl import Site, crawl
    from groundqa.index.sandbox import SandboxedLoader
    from groundqa.index.web import CrawlLimits

    sites = [Site.of(url) for url in urls]  # a malformed address is an error before anything is fetched
    previous = _indexed_pages(settings, [site.name for site in sites])
    limits = CrawlLimits(max_pages=args.max_pages, delay_s=args.delay)
    sandbox = SandboxedLoader(budget)
    for url in urls:
        print(f"fetching {url} ...", file=sys.stderr, flush=True)
        found = crawl(url, previous, limits, sandbox)
        scanned.documents.extend(found.documents)
        scanned.problems.extend(found.problems)
        scanned.skipped.extend(found.skipped)
        scanned.roots.update(found.roots)
        print(f"read {len(found.documents)} pages of {url}", file=sys.stderr, flush=True)


def _indexed_pages(settings: Settings, names: list[str]) -> dict:
    """The documents indexed before from these sites, by id, read without loading a model (for
    If-None-Match and If-Modified-Since); none where there is no index yet."""
    from groundqa.wiring import make_catalog

    catalog = make_catalog(settings, None)
    try:
        if hasattr(catalog, "exists") and not catalog.exists():
            return {}
        collection = catalog.open(None)
    except GroundQAError:
        return {}
    finally:
        catalog.close()
    return {doc_id: document for doc_id, document in collection.documents.items()
            if any(document.source == name or document.source.startswith(name + "/") for name in names)}
