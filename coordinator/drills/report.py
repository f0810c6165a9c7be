"""After-action figures of a drill, computed from its event log only (so anyone can recompute them)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from coordinator.dispatches.transitions import ACCEPTED_STATES
from coordinator.reference import block_of

# People who cover a need: accepted, on their way, on site or done.
COMMITTED = ACCEPTED_STATES


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


class _Replay:
    """The drill's needs and dispatches as the events describe them, replayed in order."""

    def __init__(self) -> None:
        self.needs: dict[int, dict[str, Any]] = {}
        self.dispatches: dict[int, dict[str, Any]] = {}
        self.covered_since: dict[int, float | None] = {}
        self.language_series: dict[str, list[tuple[float, int, int]]] = defaultdict(list)
        self.stage_series: list[tuple[float, int, int]] = []

    def committed(self, need_id: int) -> int:
        return sum(d["headcount"] for d in self.dispatches.values()
                   if d["need_id"] == need_id and d["state"] in COMMITTED)

    def apply(self, event: dict[str, Any]) -> None:
        payload, minute = event["payload"], event["minute"]
        if event["entity"] == "need":
            need = self.needs.setdefault(int(event["entity_id"]), {"created_minute": minute})
            need.update({k: payload[k] for k in ("requester_id", "kind", "language", "headcount", "days",
                                                  "status", "remote") if k in payload})
        elif event["entity"] == "dispatch":
            dispatch = self.dispatches.setdefault(int(event["entity_id"]), {"requested_minute": None,
                                                                             "answered_minute": None})
            dispatch.update({k: payload[k] for k in ("need_id", "supplier_id", "requester_id", "headcount",
                                                      "stage", "state") if k in payload})
            if event["type"] == "dispatch.requested":
                dispatch["requested_minute"] = minute
            if event["type"] in ("dispatch.accepted", "dispatch.declined"):
                dispatch["answered_minute"] = minute
        else:
            return
        self._after_change(minute)

    def _after_change(self, minute: float) -> None:
        for need_id, need in self.needs.items():
            covered = need.get("status") != "cancelled" and self.committed(need_id) >= need["headcount"]
            if covered and self.covered_since.get(need_id) is None:
                self.covered_since[need_id] = minute
            elif not covered:
                self.covered_since[need_id] = None
        by_language: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for need_id, need in self.needs.items():
            if need.get("status") == "cancelled":
                continue
            totals = by_language[need["language"]]
            totals[0] += need["headcount"]
            totals[1] += min(need["headcount"], self.committed(need_id))
        for language, (requested, covered) in by_language.items():
            series = self.language_series[language]
            if not series or series[-1][1:] != (requested, covered):
                series.append((minute, requested, covered))
        stage = [sum(d["headcount"] for d in self.dispatches.values()
                     if d.get("stage") == s and d["state"] in COMMITTED) for s in (1, 2)]
        if not self.stage_series or list(self.stage_series[-1][1:]) != stage:
            self.stage_series.append((minute, stage[0], stage[1]))


def compute_report(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The after-action report of one drill from its events (each with "minute", see eventlog)."""
    started = next((e["payload"] for e in events if e["type"] == "drill.started"), {})
    finished = next((e for e in events if e["type"] == "drill.finished"), None)
    end = float(finished["minute"]) if finished else (events[-1]["minute"] if events else 0.0)
    timeout = float(started.get("request_timeout_hours", 24)) * 60
    replay = _Replay()
    first_plan: float | None = None
    failovers: list[dict[str, Any]] = []
    for event in events:
        replay.apply(event)
        if event["type"] == "dispatch.proposed" and first_plan is None:
            first_plan = event["minute"]
        if event["type"] == "disaster.declared":
            failovers += _failovers_at_declaration(event)
        if event["type"] == "drill.roles_changed":
            for role, change in sorted(event["payload"].get("changes", {}).items()):
                failovers.append({"minute": event["minute"], "role": role, "from": change["old"],
                                  "to": change["new"], "cause": "unreachable"})
    needs = []
    for need_id, need in sorted(replay.needs.items()):
        covered_at = replay.covered_since.get(need_id)
        committed = replay.committed(need_id)
        needs.append({"need_id": need_id, "requester_id": need["requester_id"], "kind": need["kind"],
                      "language": need["language"], "headcount": need["headcount"], "status": need.get("status"),
                      "created_minute": need["created_minute"], "committed": committed,
                      "covered_minute": covered_at,
                      "minutes_to_cover": _round(covered_at - need["created_minute"]) if covered_at is not None
                      else None})
    unmet = [{"need_id": n["need_id"], "requester_id": n["requester_id"], "language": n["language"],
              "kind": n["kind"], "missing": n["headcount"] - min(n["headcount"], n["committed"])}
             for n in needs if n["status"] != "cancelled" and n["committed"] < n["headcount"]]
    person_days_supporter: dict[str, int] = defaultdict(int)
    person_days_block: dict[str, int] = defaultdict(int)
    overdue = []
    for dispatch_id, dispatch in sorted(replay.dispatches.items()):
        if dispatch["state"] in COMMITTED:
            days = replay.needs.get(dispatch["need_id"], {}).get("days") or 0
            person_days_supporter[dispatch["supplier_id"]] += dispatch["headcount"] * days
            person_days_block[block_of(dispatch["supplier_id"]) or "?"] += dispatch["headcount"] * days
        asked, answered = dispatch["requested_minute"], dispatch["answered_minute"]
        if asked is None:
            continue
        late = (answered - asked > timeout) if answered is not None else (end - asked >= timeout)
        if late:
            overdue.append({"dispatch_id": dispatch_id, "supplier_id": dispatch["supplier_id"],
                            "need_id": dispatch["need_id"], "requested_minute": asked,
                            "answered_minute": answered, "state": dispatch["state"]})
    return {
        "drill_id": events[0]["disaster_id"] if events else None,
        "scenario_id": started.get("scenario_id"), "title": started.get("title"), "seed": started.get("seed"),
        "speed": started.get("speed"), "start": started.get("start"), "end_minute": end,
        "request_timeout_hours": timeout / 60, "event_count": len(events),
        "time_to_first_plan_minutes": first_plan,
        "needs": needs,
        "unmet_needs": unmet,
        "overdue_requests": overdue,
        "person_days": {"by_supporter": dict(sorted(person_days_supporter.items())),
                        "by_block": dict(sorted(person_days_block.items())),
                        "total": sum(person_days_supporter.values())},
        "coverage_by_language": {lang: [list(p) for p in series]
                                 for lang, series in sorted(replay.language_series.items())},
        "coverage_by_stage": [list(p) for p in replay.stage_series],
        "failovers": failovers,
    }


def _failovers_at_declaration(event: dict[str, Any]) -> list[dict[str, Any]]:
    roles = event["payload"].get("acting_roles") or {}
    out = []
    for block, acting in sorted((roles.get("coordinators") or {}).items()):
        if acting.get("is_deputy"):
            out.append({"minute": event["minute"], "role": f"coordinator:{block}",
                        "from": (acting.get("skipped") or [None])[0], "to": acting["association_id"],
                        "cause": "affected"})
    secretariat = roles.get("secretariat") or {}
    if secretariat.get("is_failover"):
        out.append({"minute": event["minute"], "role": "secretariat", "from": "clair", "to": secretariat["id"],
                    "cause": "affected"})
    return out


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The figures two runs are compared on."""
    times = [n["minutes_to_cover"] for n in report["needs"] if n["minutes_to_cover"] is not None]
    return {"time_to_first_plan_minutes": report["time_to_first_plan_minutes"],
            "needs": len(report["needs"]), "needs_covered": len(times),
            "mean_minutes_to_cover": _round(sum(times) / len(times)) if times else None,
            "unmet_needs": len(report["unmet_needs"]), "overdue_requests": len(report["overdue_requests"]),
            "person_days": report["person_days"]["total"], "failovers": len(report["failovers"])}


def compare(report: dict[str, Any], earlier: dict[str, Any]) -> dict[str, Any]:
    """This run's headline figures beside an earlier run's, with the difference (this − earlier)."""
    now, before = headline(report), headline(earlier)
    rows = {}
    for key in now:
        a, b = now[key], before[key]
        rows[key] = {"this": a, "earlier": b,
                     "change": _round(a - b) if isinstance(a, int | float) and isinstance(b, int | float) else None}
    return {"earlier_drill_id": earlier["drill_id"], "same_scenario": report["scenario_id"] == earlier["scenario_id"],
            "figures": rows}
