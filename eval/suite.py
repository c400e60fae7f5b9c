"""`groundqa eval --suite eval/gold --split dev`: every gold set of one split, each asked against an
index of its own documents, one row per set and the macro average over sets.

The split file (eval/gold/splits.toml) names each set's documents and questions and its split. The
rule of the house: train sets are read to design features, rules and thresholds; dev sets decide
between variants; test sets are run and reported for every change to answering, never read one by one.
Each set's index is cached under the cache folder, keyed by what its documents load to and by the
embedding and chunking settings, so a loader change rebuilds it."""

from __future__ import annotations

import hashlib
import json
import statistics
import tomllib
from dataclasses import dataclass
from pathlib import Path

from groundqa.errors import GroundQAError
from groundqa.eval.gold import GoldQuestion, load_gold
from groundqa.eval.runner import Run, reading_on_as_served, run_pipeline
from groundqa.eval.stats import percentile
from groundqa.eval.summary import summarize
from groundqa.index.catalog import DirectoryCatalog, update_stored
from groundqa.index.ingest import scan
from groundqa.service.pipeline import Pipeline
from groundqa.settings import Settings

SPLITS = ("train", "dev", "test")
SPLIT_FILE = "splits.toml"
# A row's figures, in the order the table shows them; the macro average is the mean of each over sets.
COLUMNS = ("answerable_em", "answerable_f1", "answerable_abstained", "unanswerable_abstained",
           "near_miss_abstained", "out_of_scope_abstained", "ece", "latency_p50_ms", "latency_p95_ms")


@dataclass(frozen=True)
class GoldSet:
    name: str
    split: str
    docs: Path
    gold: Path


def load_sets(suite: Path, split: str) -> list[GoldSet]:
    """The sets of `split` named in suite/splits.toml, in the file's order."""
    if split not in SPLITS:
        raise GroundQAError(f"--split must be one of {', '.join(SPLITS)}, not {split!r}")
    path = suite / SPLIT_FILE
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8"))["sets"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise GroundQAError(f"{path}: cannot read the split file ({exc})") from None
    sets = [GoldSet(name, entry["split"], suite / entry["docs"], suite / entry["gold"])
            for name, entry in entries.items() if entry["split"] == split]
    if not sets:
        raise GroundQAError(f"{path} names no {split} set")
    return sets


def set_row(run: Run, questions: list[GoldQuestion], threshold: float) -> dict:
    """The figures of one set at the served threshold (percentages, but ECE and milliseconds)."""
    summary = summarize(run, threshold)
    abstained = {row.id for row in run.rows if row.answer_at(threshold) is None}

    def share_abstained(group: list[GoldQuestion]) -> float | None:
        return round(100 * sum(q.id in abstained for q in group) / len(group), 2) if group else None

    unanswerable = [q for q in questions if not q.answers]
    totals = [row.timings_ms["total"] for row in run.rows if "total" in row.timings_ms]
    return {
        "questions": len(questions), "answerable": summary["has_answer"]["n"], "unanswerable": len(unanswerable),
        "answerable_em": summary["has_answer"]["em"], "answerable_f1": summary["has_answer"]["f1"],
        "answerable_abstained": share_abstained([q for q in questions if q.answers]),
        "unanswerable_abstained": share_abstained(unanswerable),
        "near_miss_abstained": share_abstained([q for q in unanswerable if q.kind == "near_miss"]),
        "out_of_scope_abstained": share_abstained([q for q in unanswerable if q.kind != "near_miss"]),
        "ece": summary["reliability"]["ece"] if "reliability" in summary else None,
        "latency_p50_ms": round(percentile(totals, 50), 1) if totals else None,
        "latency_p95_ms": round(percentile(totals, 95), 1) if totals else None,
    }


def macro(rows: dict[str, dict]) -> dict:
    """The mean over sets of each column (sets without a figure, e.g. no out-of-scope question, left out)."""
    average = {}
    for column in COLUMNS:
        values = [row[column] for row in rows.values() if row.get(column) is not None]
        average[column] = round(statistics.fmean(values), 2 if column != "ece" else 4) if values else None
    return average


def run_suite(settings: Settings, sets: list[GoldSet], cache_root: Path, progress: bool = True) -> dict:
    """Every set through the real pipeline (the models loaded once), at the served threshold."""
    from groundqa.wiring import decision_threshold, make_embedder, make_reader

    threshold = decision_threshold(settings)
    recording = settings.model_copy(update={"answer_threshold": 0.0, "no_answer_margin": float("-inf")})
    embedder, reader = make_embedder(recording), make_reader(recording)
    embedder.warm_up()
    reader.warm_up()
    rows, runs = {}, {}
    for gold_set in sets:
        pipeline = reading_on_as_served(set_pipeline(recording, gold_set, embedder, reader, cache_root), threshold)
        questions = load_gold(gold_set.gold)
        runs[gold_set.name] = run = run_pipeline(pipeline, questions, progress)
        rows[gold_set.name] = set_row(run, questions, threshold)
    return {"split": sets[0].split, "threshold": threshold, "sets": rows, "macro": macro(rows), "runs": runs}


def set_pipeline(settings: Settings, gold_set: GoldSet, embedder, reader, cache_root: Path) -> Pipeline:
    """A pipeline over the set's documents alone, with the models given, configured by `settings`; its
    index cached under cache_root, keyed by what the documents load to, the embedding and chunking
    settings and the embedder's precision (so --suite and --conversations reuse each other's)."""
    from groundqa.wiring import expected_manifest, faiss_layout, pipeline_config

    manifest = expected_manifest(settings, embedder)
    scanned = scan([gold_set.docs])
    if scanned.problems:
        raise GroundQAError(f"{gold_set.name}: {scanned.problems[0].path}: {scanned.problems[0].reason}")
    identity = json.dumps([manifest.to_json(), embedder.precision,
                           [(d.doc_id, d.title, d.text, d.meta) for d in scanned.documents]],
                          sort_keys=True, default=str)
    key = hashlib.sha256(identity.encode()).hexdigest()[:12]
    catalog = DirectoryCatalog(cache_root / f"{gold_set.name}-{key}", faiss_layout(settings))
    if catalog.exists():
        collection = catalog.open(manifest)
    else:
        collection, _ = update_stored(catalog, manifest,
                                      lambda stored: stored.upsert(scanned.documents, embedder, False))
    return Pipeline(embedder, collection, reader, pipeline_config(settings))


HEADERS = {"answerable_em": "EM", "answerable_f1": "F1", "answerable_abstained": "answerable abstained %",
           "unanswerable_abstained": "unanswerable abstained %", "near_miss_abstained": "near misses %",
           "out_of_scope_abstained": "out of scope %", "ece": "ECE", "latency_p50_ms": "p50 ms",
           "latency_p95_ms": "p95 ms"}


def to_markdown(result: dict) -> str:
    """One row per set and the macro average, as a Markdown table."""
    lines = [f"| {result['split']} set | questions | " + " | ".join(HEADERS.values()) + " |",
             "|---|---:|" + "---:|" * len(HEADERS)]
    for name, row in result["sets"].items():
        lines.append(f"| {name} | {row['questions']} | " + " | ".join(_cell(row[c]) for c in HEADERS) + " |")
    total = sum(row["questions"] for row in result["sets"].values())
    lines.append(f"| **macro ({len(result['sets'])} sets)** | {total} | "
                 + " | ".join(f"**{_cell(result['macro'][c])}**" for c in HEADERS) + " |")
    return "\n".join(lines) + "\n"


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def write_suite_report(result: dict, path: Path) -> list[Path]:
    """The JSON report (figures, and every question's answer), the Markdown table and a bar chart."""
    from groundqa.eval.runner import rows_to_json

    path.parent.mkdir(parents=True, exist_ok=True)
    rows = {name: rows_to_json(run.rows, result["threshold"]) for name, run in result["runs"].items()}
    figures = {key: value for key, value in result.items() if key != "runs"}
    path.write_text(json.dumps({**figures, "rows": rows}, indent=1, ensure_ascii=False))
    markdown, chart = path.with_suffix(".md"), path.with_suffix(".png")
    markdown.write_text(to_markdown(result))
    _chart(result, chart)
    return [path, markdown, chart]


def _chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [*result["sets"], "macro"]
    rows = [*result["sets"].values(), result["macro"]]
    figure, axis = plt.subplots(figsize=(max(6, 1.1 * len(names)), 4))
    width = 0.27
    for offset, (column, label) in enumerate((("answerable_f1", "answerable F1"),
                                              ("unanswerable_abstained", "unanswerable abstained %"),
                                              ("answerable_abstained", "answerable abstained %"))):
        axis.bar([i + (offset - 1) * width for i in range(len(names))], [row[column] or 0 for row in rows],
                 width, label=label)
    axis.set_xticks(range(len(names)), names, rotation=30, ha="right")
    axis.set_ylim(0, 100)
    axis.legend(loc="lower left", fontsize=8)
    axis.set_title(f"{result['split']} sets (threshold {result['threshold']:.3g})")
    axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
