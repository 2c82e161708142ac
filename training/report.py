"""The retraining report: ``report.json``, ``report.txt`` (the table ``retrain`` prints) and PNG plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .comparison import COMPARED

JSON_FILE = "report.json"
TABLE_FILE = "report.txt"


def _number(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _score_rows(entry: dict[str, Any]) -> list[str]:
    current = entry.get("current", {}).get("scores", {})
    difference = entry.get("difference", {}).get("scores", {})
    rows = []
    for score, mine in entry["candidate"]["scores"].items():
        cells = [f"  {score:<17}{mine['examples']:>7}{mine['positives']:>6}"]
        for key, _ in COMPARED:
            cells.append(f"{_number(mine.get(key)):>8}{_number(current.get(score, {}).get(key)):>7}"
                         f"{_number(difference.get(score, {}).get(key), signed=True):>8}")
        rows.append("".join(cells))
    return rows


def _workload_row(entry: dict[str, Any]) -> str:
    mine, theirs = entry["candidate"]["workload"], entry.get("current", {}).get("workload", {})
    change = entry.get("difference", {}).get("workload", {})
    parts = [f"{name.replace('_', ' ')} {_number(mine[name])} (live {_number(theirs.get(name))}, "
             f"{_number(change.get(name), signed=True)})" for name in ("hold_rate", "spam_rate")]
    return "  workload by the model's scores alone: " + "; ".join(parts)


def format_table(report: dict[str, Any]) -> str:
    """Per evaluation set, one row per score: candidate, live and difference for each compared metric."""
    live = report["current"]["version"] if report["current"] else "none"
    lines = [f"candidate {report['candidate']['version']} against live {live}"]
    header = f"  {'score':<17}{'n':>7}{'pos':>6}" + "".join(
        f"{label:>8}{'live':>7}{'diff':>8}" for _, label in COMPARED)
    for set_name, entry in report["sets"].items():
        lines += ["", f"{set_name}: {entry['examples']:,} comments", header, "  " + "-" * (len(header) - 2)]
        lines += _score_rows(entry)
        lines.append(_workload_row(entry))
    lines += ["", *gate_lines(report["gate"])]
    return "\n".join(lines)


def gate_lines(gate: dict[str, Any]) -> list[str]:
    if not gate["compared_with_live"]:
        verdict = ["gate: passed (no live model to compare with)"]
    elif gate["passed"]:
        verdict = ["gate: passed (not worse than the live model beyond the tolerances on any score)"]
    else:
        verdict = ["gate: REFUSED, worse than the live model on:", *(f"  - {f['message']}" for f in gate["failures"])]
    if gate.get("not_gated"):
        verdict.append(f"  not gated (fewer than {gate['rules']['min_per_class']} examples of a class): "
                       + "; ".join(gate["not_gated"]))
    if gate.get("forced"):
        verdict.append("  promoted anyway with --force (recorded in the manifest)")
    return verdict


def write(report: dict[str, Any], directory: Path) -> list[Path]:
    """``report.json`` and ``report.txt`` in ``directory``; the PNGs come from :mod:`training.plots`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / JSON_FILE, directory / TABLE_FILE]
    written[0].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written[1].write_text(format_table(report) + "\n", encoding="utf-8")
    return written
