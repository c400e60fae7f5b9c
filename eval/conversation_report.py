"""Figures of the conversation eval (eval/conversations.py): first turns, follow-ups as asked, and the
same follow-ups asked standalone, apart; per set and over the split; as JSON and Markdown."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

from groundqa.eval.metrics import exact_match, f1_score, normalize_answer

GROUPS = {"first_turns": "first turns", "follow_ups": "follow-ups as asked",
          "follow_ups_standalone": "the same follow-ups, standalone",
          "follow_ups_without_history": "the follow-ups without their history"}


def group_figures(asked: list, threshold: float) -> dict:
    """Answerable EM/F1 and share abstained, and the share of unanswerable turns abstained on."""
    answerable = [a.row for a in asked if a.row.gold]
    unanswerable = [a.row for a in asked if not a.row.gold]
    shown = [row.answer_at(threshold) for row in answerable]
    return {
        "turns": len(asked), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "answerable_em": _pct([exact_match(p, r.gold) for p, r in zip(shown, answerable)]),
        "answerable_f1": _pct([f1_score(p, r.gold) for p, r in zip(shown, answerable)]),
        "answerable_abstained": _pct([float(p is None) for p in shown]),
        "unanswerable_abstained": _pct([float(row.answer_at(threshold) is None) for row in unanswerable]),
    }


def resolution_figures(follow_ups: list) -> dict:
    """How close the resolved follow-ups came to the standalone questions written for them."""
    exact = [float(normalize_answer(a.resolved) == normalize_answer(a.standalone)) for a in follow_ups]
    words = [f1_score(a.resolved, [a.standalone]) for a in follow_ups]
    unchanged = [float(a.resolved.strip() == a.row.question.strip()) for a in follow_ups]
    return {"follow_ups": len(follow_ups), "resolved_as_written": _pct(exact), "word_f1": _pct(words),
            "left_as_asked": _pct(unchanged)}


def figures(asked: list, alone: list, bare: list, threshold: float) -> dict:
    """The split's figures (every turn of its sets pooled) and each set's."""
    def of(turns: list, standalone: list, unresolved: list) -> dict:
        groups = {"first_turns": group_figures([a for a in turns if a.turn == 0], threshold),
                  "follow_ups": group_figures([a for a in turns if a.turn > 0], threshold),
                  "follow_ups_standalone": group_figures(standalone, threshold),
                  "follow_ups_without_history": group_figures(unresolved, threshold)}
        follow, alone_f1 = groups["follow_ups"]["answerable_f1"], groups["follow_ups_standalone"]["answerable_f1"]
        ratio = round(100 * follow / alone_f1, 1) if follow is not None and alone_f1 else None
        return {"groups": groups, "follow_up_f1_share_of_standalone": ratio,
                "resolution": resolution_figures([a for a in turns if a.turn > 0])}

    sets = defaultdict(lambda: ([], [], []))
    for place, turns in enumerate((asked, alone, bare)):
        for a in turns:
            sets[a.set][place].append(a)
    return {"conversations": len({a.conversation for a in asked}), **of(asked, alone, bare),
            "sets": {name: of(*turns) for name, turns in sets.items()}}


def to_markdown(result: dict) -> str:
    lines = [f"# Conversations, {result['split']} sets ({result['conversations']} conversations, threshold "
             f"{result['threshold']:.3g})", "",
             "| turns | n | answerable | EM | F1 | answerable abstained % | unanswerable | unanswerable abstained % |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key, label in GROUPS.items():
        g = result["groups"][key]
        lines.append(f"| {label} | {g['turns']} | {g['answerable']} | {_cell(g['answerable_em'])} | "
                     f"{_cell(g['answerable_f1'])} | {_cell(g['answerable_abstained'])} | {g['unanswerable']} | "
                     f"{_cell(g['unanswerable_abstained'])} |")
    resolution = result["resolution"]
    lines += ["", f"Follow-up F1 is **{_cell(result['follow_up_f1_share_of_standalone'])}%** of the same questions' "
              f"F1 written standalone. Resolution: {_cell(resolution['resolved_as_written'])}% of follow-ups resolved "
              f"to the standalone question as written (word F1 {_cell(resolution['word_f1'])}), "
              f"{_cell(resolution['left_as_asked'])}% left as asked."]
    kept = result.get("standalone_questions")
    if kept:
        lines.append(f"Questions that stand alone (the sets' gold questions, each asked after the one before it): "
                     f"{kept['changed']} of {kept['asked_after_another']} ({_cell(kept['changed_pct'])}%) changed.")
    lines += ["",
              "| set | follow-ups | F1 as asked | F1 standalone | share % | "
              "unanswerable abstained % as asked / standalone |",
              "|---|---:|---:|---:|---:|---|"]
    for name, row in result["sets"].items():
        asked, alone = row["groups"]["follow_ups"], row["groups"]["follow_ups_standalone"]
        lines.append(f"| {name} | {asked['turns']} | {_cell(asked['answerable_f1'])} | "
                     f"{_cell(alone['answerable_f1'])} | {_cell(row['follow_up_f1_share_of_standalone'])} | "
                     f"{_cell(asked['unanswerable_abstained'])} / {_cell(alone['unanswerable_abstained'])} |")
    return "\n".join(lines) + "\n"


def write_conversation_report(result: dict, path: Path) -> list[Path]:
    """The JSON report (figures, and every turn: question, resolved question, answer shown) and Markdown."""
    path.parent.mkdir(parents=True, exist_ok=True)
    threshold = result["threshold"]

    def turn_json(a) -> dict:
        return {"conversation": a.conversation, "set": a.set, "turn": a.turn + 1, "question": a.row.question,
                "resolved": a.resolved, "standalone": a.standalone, "gold": a.row.gold,
                "answer": a.row.answer_at(threshold), "margin": a.row.margin, "cited_doc": a.row.cited_doc,
                "timings_ms": asdict(a.row)["timings_ms"]}

    figures_only = {k: v for k, v in result.items() if k not in ("turns", "standalone_turns")}
    path.write_text(json.dumps({**figures_only, "turns": [turn_json(a) for a in result["turns"]],
                                "standalone_turns": [turn_json(a) for a in result["standalone_turns"]]},
                               indent=1, ensure_ascii=False))
    markdown = path.with_suffix(".md")
    markdown.write_text(to_markdown(result))
    return [path, markdown]


def _cell(value) -> str:
    return "-" if value is None else f"{value:g}"


def _pct(values: list[float]) -> float | None:
    return round(100 * sum(values) / len(values), 2) if values else None
