"""The MQTT telemetry bridge: ``bastion/devices/{device_id}/telemetry`` in, alarms out (R2.5).

paho's network thread only queues messages; the bridge's own thread drains the queue in batches
(up to ``batch_size`` messages or ``batch_wait`` seconds) and hands each batch to one
:class:`~bastion.devices.actions.alarms.TelemetryEvaluator`, so the database sees one transaction
per batch. Bad messages are rejected and counted; an error while evaluating a batch is logged and
the bridge carries on with the next one (a crash would silence every device at once).

The broker comes from ``BASTION_MQTT_URL`` (``mqtt://user:password@host:1883``; ``mqtts://`` for
TLS), default ``mqtt://127.0.0.1:1883``. The password belongs in the environment, never the repo.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from django.db import connection

from bastion.devices.actions.alarms import Outcome, TelemetryEvaluator
from bastion.devices.metrics import TELEMETRY_REJECTED

logger = logging.getLogger(__name__)

# The prefix is "bastion"; another prefix lets one broker serve several installations (or tests).
DEFAULT_PREFIX = "bastion"
DEFAULT_URL = "mqtt://127.0.0.1:1883"
MAX_PAYLOAD = 16 * 1024  # a telemetry message is a few hundred bytes; anything bigger is abuse
QUEUE_LIMIT = 200_000


def topic_for(device_id: int, *, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}/devices/{device_id}/telemetry"


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool

    @classmethod
    def from_url(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in {"mqtt", "mqtts"} or not parts.hostname:
            raise ValueError("the MQTT URL looks like mqtt://user:password@host:1883")
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )

    @classmethod
    def from_environment(cls) -> BrokerAddress:
        return cls.from_url(os.environ.get("BASTION_MQTT_URL", DEFAULT_URL))


class TelemetryBridge:
    """Subscribe, queue, evaluate in batches. ``drain`` lets tests evaluate in their own thread."""

    def __init__(
        self,
        address: BrokerAddress,
        *,
        batch_size: int = 1000,
        batch_wait: float = 0.05,
        evaluator: TelemetryEvaluator | None = None,
        qos: int = 1,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", prefix):
            raise ValueError("the topic prefix is a plain MQTT topic path without wildcards")
        self.subscription = f"{prefix}/devices/+/telemetry"
        self._topic = re.compile(rf"^{re.escape(prefix)}/devices/([1-9][0-9]{{0,17}})/telemetry$")
        self.address = address
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.qos = qos
        self.evaluator = evaluator or TelemetryEvaluator()
        self.totals = Outcome()
        self.subscribed = threading.Event()
        self._queue: queue.Queue[tuple[str, bytes]] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"bastion-bridge-{uuid.uuid4().hex[:8]}"
        )
        if address.username:
            self._client.username_pw_set(address.username, address.password)
        if address.tls:
            self._client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)

    # --- paho callbacks (network thread) ------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.error("MQTT connection refused: %s", reason_code)
            return
        client.subscribe(self.subscription, qos=self.qos)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        self.subscribed.set()

    def _on_message(self, client, userdata, message) -> None:
        try:
            self._queue.put_nowait((message.topic, message.payload))
        except queue.Full:
            TELEMETRY_REJECTED.labels("overload").inc()

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self, *, timeout: float = 10.0) -> None:
        self._client.connect(self.address.host, self.address.port, keepalive=30)
        self._client.loop_start()
        if not self.subscribed.wait(timeout):
            self.stop()
            raise ConnectionError(f"no subscription on {self.address.host}:{self.address.port}")

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _take_batch(self, wait: float) -> list[tuple[str, bytes]]:
        batch: list[tuple[str, bytes]] = []
        try:
            batch.append(self._queue.get(timeout=wait))
        except queue.Empty:
            return batch
        deadline = time.monotonic() + self.batch_wait
        while len(batch) < self.batch_size:
            try:
                batch.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return batch

    def process_batch(self, batch: list[tuple[str, bytes]]) -> Outcome:
        """Evaluate queued messages; never raises."""
        outcome = Outcome()
        messages: list[tuple[int | None, bytes]] = []
        for topic, payload in batch:
            match = self._topic.match(topic)
            if match is None:
                TELEMETRY_REJECTED.labels("bad_topic").inc()
                outcome.rejected["bad_topic"] += 1
            elif len(payload) > MAX_PAYLOAD:
                TELEMETRY_REJECTED.labels("too_large").inc()
                outcome.rejected["too_large"] += 1
            else:
                messages.append((int(match.group(1)), payload))
        try:
            outcome.add(self.evaluator.process(messages))
        except Exception:  # a database hiccup must not take the bridge down
            logger.exception("telemetry batch of %d messages failed; continuing", len(messages))
            # A broken connection is replaced on the next batch (never inside a caller's transaction).
            if not connection.in_atomic_block:
                connection.close()
            TELEMETRY_REJECTED.labels("evaluation_error").inc(len(messages))
            outcome.rejected["evaluation_error"] += len(messages)
        self.totals.add(outcome)
        self.totals.errors.clear()
        return outcome

    def drain(self, *, expect: int, timeout: float = 10.0) -> Outcome:
        """Process messages until ``expect`` have been taken or ``timeout`` passes (tests, benchmark)."""
        outcome = Outcome()
        taken = 0
        deadline = time.monotonic() + timeout
        while taken < expect and time.monotonic() < deadline:
            batch = self._take_batch(min(0.2, max(0.0, deadline - time.monotonic())))
            taken += len(batch)
            if batch:
                outcome.add(self.process_batch(batch))
        return outcome

    def run(self, stop: threading.Event) -> None:
        """The command's loop: evaluate batches until ``stop`` is set."""
        while not stop.is_set():
            batch = self._take_batch(0.5)
            if batch:
                self.process_batch(batch)
