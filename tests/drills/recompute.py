"""A second, deliberately simple computation of the report's figures straight from raw events."""

from __future__ import annotations

from typing import Any

COMMITTED = {"accepted", "en_route", "on_site", "completed"}


def minutes(events: list[dict[str, Any]]) -> list[float]:
    """The virtual minute of each event: the last drill stamp at or before it."""
    out, now = [], 0.0
    for event in events:
        if event["type"].startswith("drill."):
            now = float(event["payload"]["minute"])
        out.append(now)
    return out


def final_states(events: list[dict[str, Any]], entity: str) -> dict[int, dict[str, Any]]:
    """The last payload of every entity of one kind."""
    return {int(e["entity_id"]): e["payload"] for e in events if e["entity"] == entity}


def committed_by_need(dispatches: dict[int, dict[str, Any]]) -> dict[int, int]:
    """People accepted or beyond, per need."""
    out: dict[int, int] = {}
    for d in dispatches.values():
        if d["state"] in COMMITTED:
            out[d["need_id"]] = out.get(d["need_id"], 0) + d["headcount"]
    return out


def figures(events: list[dict[str, Any]], timeout_hours: float) -> dict[str, Any]:
    """Time to first plan, unmet needs, person-days, overdue requests, fail-overs and times to cover."""
    at = minutes(events)
    proposed = [at[i] for i, e in enumerate(events) if e["type"] == "dispatch.proposed"]
    needs, dispatches = final_states(events, "need"), final_states(events, "dispatch")
    committed = committed_by_need(dispatches)
    unmet = sorted(n for n, p in needs.items() if p["status"] != "cancelled" and committed.get(n, 0) < p["headcount"])
    person_days: dict[str, int] = {}
    for d in dispatches.values():
        if d["state"] in COMMITTED:
            days = needs[d["need_id"]]["days"]
            person_days[d["supplier_id"]] = person_days.get(d["supplier_id"], 0) + d["headcount"] * days
    end = at[-1]
    overdue = []
    for dispatch_id in dispatches:
        mine = [(at[i], e["type"]) for i, e in enumerate(events)
                if e["entity"] == "dispatch" and int(e["entity_id"]) == dispatch_id]
        asked = next((m for m, t in mine if t == "dispatch.requested"), None)
        answered = next((m for m, t in mine if t in ("dispatch.accepted", "dispatch.declined")), None)
        if asked is None:
            continue
        waited = (answered if answered is not None else end) - asked
        limit = timeout_hours * 60
        if (answered is not None and waited > limit) or (answered is None and waited >= limit):
            overdue.append(dispatch_id)
    failovers = 0
    for e in events:
        if e["type"] == "disaster.declared":
            roles = e["payload"]["acting_roles"]
            failovers += sum(1 for c in roles["coordinators"].values() if c["is_deputy"])
            failovers += 1 if roles["secretariat"]["is_failover"] else 0
        if e["type"] == "drill.roles_changed":
            failovers += len(e["payload"]["changes"])
    # Time to cover, by brute force: replay every prefix from scratch and find when the need became covered
    # for the last time (and stayed so to the end).
    to_cover: dict[int, float | None] = {}
    for need_id in needs:
        covered_from = None
        for i in range(len(events)):
            prefix = events[: i + 1]
            need_now = final_states(prefix, "need").get(need_id)
            if need_now is None:
                continue
            ok = (need_now["status"] != "cancelled"
                  and committed_by_need(final_states(prefix, "dispatch")).get(need_id, 0) >= need_now["headcount"])
            if ok and covered_from is None:
                covered_from = at[i]
            elif not ok:
                covered_from = None
        created = next(at[i] for i, e in enumerate(events) if e["entity"] == "need" and int(e["entity_id"]) == need_id)
        to_cover[need_id] = None if covered_from is None else covered_from - created
    return {"first_plan": min(proposed) if proposed else None, "unmet": unmet, "person_days": person_days,
            "overdue": sorted(overdue), "failovers": failovers, "to_cover": to_cover}
