"""Prometheus counters of the telemetry path (served on /metrics with the rest)."""

from __future__ import annotations

from prometheus_client import Counter

TELEMETRY_ACCEPTED = Counter("bastion_telemetry_accepted_total", "Telemetry messages accepted and evaluated")
TELEMETRY_REJECTED = Counter(
    "bastion_telemetry_rejected_total",
    "Telemetry messages rejected (malformed, invalid or absurd values, unknown device)",
    ["reason"],
)
ALARMS_RAISED = Counter("bastion_alarms_raised_total", "Device alarms raised, by initial state", ["state"])
ALARMS_CLEARED = Counter("bastion_alarms_cleared_total", "Device alarms cleared")
