"""The after-action report as one self-contained HTML page with inline SVG charts (no JS, no CDN)."""

from __future__ import annotations

from html import escape
from typing import Any

from coordinator.drills.marks import DRILL_MARK

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
            "#7f7f7f", "#bcbd22", "#393b79")
W, H, PAD = 640, 220, 40


def _hours(minute: float) -> str:
    return f"{minute / 60:.1f} h"


def _steps(points: list[tuple[float, float]], end: float, top: float) -> str:
    """An SVG polyline path of a step function over [0, end] scaled to the chart box."""
    def xy(m: float, v: float) -> str:
        x = PAD + (W - 2 * PAD) * (m / end if end else 0)
        y = H - PAD - (H - 2 * PAD) * (v / top if top else 0)
        return f"{x:.1f},{y:.1f}"
    out, last = [], 0.0
    for minute, value in points:
        if out:
            out.append(xy(minute, last))
        out.append(xy(minute, value))
        last = value
    if points:
        out.append(xy(end, last))
    return " ".join(out)


def _axes(title: str, end: float, top_label: str) -> str:
    return (f'<text x="{PAD}" y="16" font-size="13">{escape(title)}</text>'
            f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#333"/>'
            f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#333"/>'
            f'<text x="{PAD}" y="{H - PAD + 16}" font-size="11">0 h</text>'
            f'<text x="{W - PAD}" y="{H - PAD + 16}" font-size="11" text-anchor="end">{_hours(end)}</text>'
            f'<text x="{PAD - 4}" y="{PAD + 4}" font-size="11" text-anchor="end">{escape(top_label)}</text>')


def _line_chart(title: str, series: dict[str, list[tuple[float, float]]], end: float, top: float,
                top_label: str) -> str:
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 20 * len(series)}" '
             f'role="img" aria-label="{escape(title)}">', _axes(title, end, top_label)]
    for i, (name, points) in enumerate(series.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{_steps(points, end, top)}"/>')
        parts.append(f'<text x="{PAD}" y="{H + 14 + 20 * i}" font-size="12" fill="{colour}">■ {escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _bar_chart(title: str, values: dict[str, float], unit: str) -> str:
    top = max(values.values(), default=0) or 1
    row = 20
    height = 30 + row * len(values)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" role="img" '
             f'aria-label="{escape(title)}"><text x="0" y="16" font-size="13">{escape(title)}</text>']
    for i, (name, value) in enumerate(values.items()):
        y = 26 + row * i
        width = (W - 260) * value / top
        parts.append(f'<text x="170" y="{y + 13}" font-size="11" text-anchor="end">{escape(name)}</text>'
                     f'<rect x="176" y="{y}" width="{width:.1f}" height="{row - 6}" fill="#1f77b4"/>'
                     f'<text x="{180 + width:.1f}" y="{y + 13}" font-size="11">{value:g} {escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape('' if c is None else str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body or '<tr><td>—</td></tr>'}</tbody></table>"


def render_html(report: dict[str, Any], comparison: dict[str, Any] | None = None) -> str:
    """The report page (Japanese first, with English)."""
    end = float(report["end_minute"]) or 1.0
    coverage = {}
    for language, points in report["coverage_by_language"].items():
        coverage[language] = [(m, (c / r * 100) if r else 0.0) for m, r, c in points]
    stage = {"第1段階 / stage 1": [(m, s1) for m, s1, _ in report["coverage_by_stage"]],
             "第2段階 / stage 2": [(m, s2) for m, _, s2 in report["coverage_by_stage"]]}
    stage_top = max([v for pts in stage.values() for _, v in pts], default=0) or 1
    to_cover = {f"#{n['need_id']} {n['language']} {n['kind']}": round(n["minutes_to_cover"] / 60, 2)
                for n in report["needs"] if n["minutes_to_cover"] is not None}
    pd = report["person_days"]
    first = report["time_to_first_plan_minutes"]
    sections = [
        f"<h1>{DRILL_MARK} 事後検証報告 / after-action report</h1>",
        f"<p class=mark>{DRILL_MARK} これは訓練です。本番の災害ではありません。 / "
        "This is a DRILL, not a real disaster.</p>",
        _table(["項目 / item", "値 / value"], [
            ["訓練 / drill", report["drill_id"]], ["シナリオ / scenario", report["scenario_id"]],
            ["題名 / title", report["title"]], ["開始 / start", report["start"]], ["乱数種 / seed", report["seed"]],
            ["速度 / speed", report["speed"]], ["期間 / length", _hours(end)],
            ["最初の提案まで / time to first plan", _hours(first) if first is not None else "—"],
            ["未充足ニーズ / unmet needs", len(report["unmet_needs"])],
            ["期限超過の依頼 / overdue requests", len(report["overdue_requests"])],
            ["人日合計 / person-days", pd["total"]], ["イベント数 / events", report["event_count"]]]),
        "<h2>充足率（言語別）/ coverage by language (%)</h2>",
        _line_chart("covered people / requested people, %", coverage, end, 100, "100%"),
        "<h2>受諾人数（段階別）/ people committed by stage</h2>",
        _line_chart("people accepted, en route, on site or done", stage, end, stage_top, str(stage_top)),
        "<h2>充足までの時間 / time to cover each need</h2>",
        _bar_chart("hours from declaration of the need", to_cover, "h"),
        _table(["ニーズ / need", "要請 / requester", "種類 / kind", "言語 / language", "人数 / headcount",
                "確保 / committed", "充足まで / to cover"],
               [[n["need_id"], n["requester_id"], n["kind"], n["language"], n["headcount"], n["committed"],
                 _hours(n["minutes_to_cover"]) if n["minutes_to_cover"] is not None else "未充足 / unmet"]
                for n in report["needs"]]),
        "<h2>人日（応援団体別・ブロック別）/ person-days by supporter and block</h2>",
        _bar_chart("person-days by supporter", pd["by_supporter"], "人日"),
        _bar_chart("person-days by block", pd["by_block"], "人日"),
        "<h2>未充足ニーズ / unmet needs</h2>",
        _table(["ニーズ / need", "要請 / requester", "言語 / language", "種類 / kind", "不足 / missing"],
               [[u["need_id"], u["requester_id"], u["language"], u["kind"], u["missing"]]
                for u in report["unmet_needs"]]),
        "<h2>期限超過の依頼 / overdue requests</h2>",
        _table(["派遣 / dispatch", "応援団体 / supporter", "ニーズ / need", "依頼 / requested", "回答 / answered",
                "状態 / state"],
               [[o["dispatch_id"], o["supplier_id"], o["need_id"], _hours(o["requested_minute"]),
                 _hours(o["answered_minute"]) if o["answered_minute"] is not None else "—", o["state"]]
                for o in report["overdue_requests"]]),
        "<h2>幹事・事務局の代行 / coordinator fail-overs</h2>",
        _table(["時刻 / at", "役割 / role", "元 / from", "代行 / to", "理由 / cause"],
               [[_hours(f["minute"]), f["role"], f["from"], f["to"], f["cause"]] for f in report["failovers"]]),
    ]
    if comparison is not None:
        sections += [f"<h2>前回との比較 / compared with drill {comparison['earlier_drill_id']}</h2>",
                     _table(["項目 / figure", "今回 / this run", "前回 / earlier", "差 / change"],
                            [[k, v["this"], v["earlier"], v["change"]] for k, v in comparison["figures"].items()])]
    style = ("body{font-family:sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;margin:.5rem 0}"
             "td,th{border:1px solid #bbb;padding:.2rem .5rem;text-align:left}"
             ".mark{background:#fff3cd;border:2px solid #c90;padding:.5rem;font-weight:bold}")
    return (f'<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>{DRILL_MARK} 事後検証報告 '
            f"{escape(str(report['scenario_id']))} / after-action report</title><style>{style}</style></head>"
            f"<body>{''.join(sections)}</body></html>")
