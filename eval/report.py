"""Write a run as JSON (summary + per-question rows), Markdown, and a PNG chart."""

from __future__ import annotations

import json
from pathlib import Path

from groundqa.eval.runner import Run, rows_to_json
from groundqa.eval.summary import coverage_curve


def write_reports(run: Run, summary: dict, path: Path, title: str) -> list[Path]:
    """`path` is the JSON report; the Markdown and PNG go beside it with the same stem."""
    path.parent.mkdir(parents=True, exist_ok=True)
    curve = coverage_curve(run.rows)
    path.write_text(json.dumps({"summary": summary, "coverage_curve": curve,
                                "rows": rows_to_json(run.rows, summary.get("no_answer_margin"))},
                               indent=1, ensure_ascii=False))
    markdown = path.with_suffix(".md")
    markdown.write_text(to_markdown(summary, title))
    written = [path, markdown]
    if curve or run.rows:
        chart = path.with_suffix(".png")
        _chart(run, curve, chart, title)
        written.append(chart)
    return written


def to_markdown(summary: dict, title: str) -> str:
    has, none, retrieval = summary["has_answer"], summary["no_answer"], summary.get("retrieval") or {}
    lines = [f"# {title}", "", "| metric | value |", "|---|---|",
             f"| questions | {summary['n']} (answerable {has['n']}, unanswerable {none['n']}) |",
             f"| EM / F1 | {summary['em']} / {summary['f1']} |",
             f"| answerable EM / F1 | {has['em']} / {has['f1']} |",
             f"| no-answer precision / recall | {none['precision']} / {none['recall']} |",
             f"| no-answer margin | {summary['no_answer_margin']} |",
             f"| EM / F1 without abstention | {summary['without_abstention']['em']} / {summary['without_abstention']['f1']} |"]
    lines += [f"| {name} | {value} |" for name, value in retrieval.items()]
    for stage, q in summary["latency_ms"].items():
        lines.append(f"| {stage} ms p50 / p95 / p99 | {q['p50']} / {q['p95']} / {q['p99']} |")
    lines.append(f"| questions per second | {summary.get('questions_per_second')} |")
    if "reliability" in summary:
        lines.append(f"| expected calibration error | {summary['reliability']['ece']} |")
    if "calibration" in summary:
        lines.append(f"| calibrated margin (F1) | {summary['calibration']['no_answer_margin']} "
                     f"({summary['calibration']['f1']}) |")
    return "\n".join(lines) + "\n"


def summary_reliability(run: Run) -> dict | None:
    from groundqa.eval.summary import _probabilities, reliability

    return reliability(run.rows) if _probabilities(run.rows) else None


def _chart(run: Run, curve: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reliability = summary_reliability(run)
    figure, axes = plt.subplots(1, 3 if reliability else 2, figsize=(16 if reliability else 11, 4))
    left, right = axes[0], axes[1]
    if reliability:
        diagram = axes[2]
        diagram.plot([0, 1], [0, 1], linestyle="--", color="grey")
        diagram.plot([b["confidence"] for b in reliability["bins"]], [b["accuracy"] for b in reliability["bins"]],
                     marker="o")
        diagram.set_xlabel("answer score (verified probability)")
        diagram.set_ylabel("share right")
        diagram.set_title(f"Reliability (ECE {reliability['ece']})")
        diagram.grid(alpha=0.3)
    points = [p for p in curve if p["answered_f1"] is not None]
    if points:
        left.plot([p["coverage"] for p in points], [p["answered_f1"] for p in points], marker=".")
        left.set_xlabel("coverage: % of questions answered")
        left.set_ylabel("F1 of the answered questions")
        left.set_title("Coverage against accuracy as the threshold moves")
        left.grid(alpha=0.3)
    totals = [row.timings_ms.get("total", 0.0) for row in run.rows]
    right.hist(totals, bins=40)
    right.set_xlabel("total latency per question (ms)")
    right.set_ylabel("questions")
    right.set_title("Latency")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
