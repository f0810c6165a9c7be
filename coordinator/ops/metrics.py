"""Prometheus metrics: requests by route and status, latency, plan time, websocket clients, events."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from coordinator.events.service import add_publisher

# Latency buckets for an API whose answers take milliseconds, and whose plan runs take seconds.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
PLAN_ROUTE = "/api/v1/disasters/{disaster_id}/plan"


class _LiveCollector:
    """Reads the live hub of an app at scrape time: clients now, frames delivered, the event log's head."""

    def __init__(self, app: FastAPI) -> None:
        self._app = weakref.ref(app)

    def collect(self) -> Iterator[Metric]:
        """The live channel's gauges and counters."""
        app = self._app()
        live = getattr(app.state, "live", None) if app is not None else None
        hub = getattr(live, "hub", None)
        clients = GaugeMetricFamily("ouen_live_clients", "Websocket clients subscribed to /api/v1/live now")
        clients.add_metric([], float(hub.subscriber_count) if hub is not None else 0.0)
        yield clients
        delivered = CounterMetricFamily("ouen_live_frames_delivered", "Event frames handed to live clients")
        delivered.add_metric([], float(getattr(hub, "delivered", 0)))
        yield delivered
        # The hub sees every instance's events (LISTEN/NOTIFY on PostgreSQL), so rate() of this gauge is
        # the whole deployment's events per second.
        head = GaugeMetricFamily("ouen_event_log_head", "Sequence number of the newest event fanned out")
        head.add_metric([], float(getattr(hub, "head", 0)))
        yield head


class Metrics:
    """The metrics of one app, in a registry of its own (several apps may share a process in tests)."""

    def __init__(self, app: FastAPI) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("ouen_http_requests", "HTTP requests by method, route template and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("ouen_http_request_duration_seconds", "HTTP request latency by route",
                                 ["method", "route"], buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.plan_seconds = Histogram("ouen_plan_seconds", "Time of POST .../plan requests (read, solve, write)",
                                      ["status"], buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.events = Counter("ouen_events_recorded", "Events committed by this process, by type",
                              ["type"], registry=self.registry)
        self.denials = Counter("ouen_auth_denials", "401/403 answers, by reason", ["reason"],
                               registry=self.registry)
        self.registry.register(_LiveCollector(app))  # type: ignore[arg-type]
        _event_counters.add(self)

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished HTTP request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if route == PLAN_ROUTE and method == "POST":
            self.plan_seconds.labels(str(status)).observe(seconds)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        return generate_latest(self.registry)


# Every live Metrics object counts committed events; the one publisher is registered once per process.
_event_counters: weakref.WeakSet[Metrics] = weakref.WeakSet()


def _count_events(events: list[Any]) -> None:
    for metrics in list(_event_counters):
        for event in events:
            metrics.events.labels(str(getattr(event, "type", "unknown"))).inc()


add_publisher(_count_events)


def install_metrics_route(app: FastAPI, metrics: Metrics) -> None:
    """GET /metrics in Prometheus text format (not in the OpenAPI document)."""

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        """Prometheus text exposition of this instance's metrics."""
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
