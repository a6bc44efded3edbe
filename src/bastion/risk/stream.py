"""Payments over NATS JetStream (docs/decisions/0502).

* Stream ``BASTION_RISK`` holds ``bastion.risk.payments.<partition>``; the partition is the CRC-32
  of the payer account modulo ``BASTION_RISK_PARTITIONS``, so an account's payments always reach
  the same worker and its features stay whole.
* ``bastion risk-worker --partition N`` is the durable pull consumer ``risk-worker-N`` filtered on
  its partition's subject. It decides a fetched batch with a :class:`PartitionOwner` (stored in one
  transaction), publishes each decision on ``bastion.risk.decisions.<partition>`` (stream
  ``BASTION_RISK_DECISIONS``, de-duplicated by ``Nats-Msg-Id`` = payment id), waits for those
  publishes to be stored by JetStream, and only then acknowledges the payments.
* Redelivery is harmless: a payment already stored is answered from the database and is not
  counted in the features again.

A message is JSON ``{"payment": {...boundary fields...}, "branch_id": int | null}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import nats
from django.db import close_old_connections
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError

from bastion.risk import conf, services
from bastion.risk.scorer import PartitionOwner, Submission

logger = logging.getLogger(__name__)

ACK_WAIT_SECONDS = 30.0
DUPLICATE_WINDOW_SECONDS = 120.0


def payments_subject(partition: int | str) -> str:
    return f"{conf.subject_prefix()}.payments.{partition}"


def decisions_subject(partition: int | str) -> str:
    return f"{conf.subject_prefix()}.decisions.{partition}"


def decisions_stream() -> str:
    return f"{conf.stream_name()}_DECISIONS"


async def ensure_streams(js: JetStreamContext) -> None:
    """Create the payments and decisions streams if they do not exist (idempotent)."""
    for name, subject in (
        (conf.stream_name(), payments_subject("*")),
        (decisions_stream(), decisions_subject("*")),
    ):
        try:
            await js.stream_info(name)
        except NotFoundError:
            await js.add_stream(
                StreamConfig(name=name, subjects=[subject], duplicate_window=DUPLICATE_WINDOW_SECONDS)
            )


def envelope(record: dict[str, Any], branch_id: int | None = None) -> bytes:
    return json.dumps({"payment": record, "branch_id": branch_id}, ensure_ascii=False).encode()


async def publish_payments(
    js: JetStreamContext, records: Iterable[dict[str, Any]], *, partitions: int | None = None
) -> int:
    """Publish payments to their partitions' subjects and wait until JetStream stored them all."""
    count = partitions or conf.partitions()
    futures = []
    for record in records:
        subject = payments_subject(services.partition_of(str(record["payer_account"]), count))
        headers = {"Nats-Msg-Id": str(record["id"])}  # a re-published payment is stored once
        futures.append(await js.publish_async(subject, envelope(record), headers=headers))
    await asyncio.gather(*futures)
    return len(futures)


def _submission(data: bytes) -> Submission | dict[str, Any]:
    try:
        body = json.loads(data)
        record, branch_id = body["payment"], body.get("branch_id")
    except (ValueError, KeyError, TypeError):
        return {"status": "invalid", "field": "payment", "message": 'message is not {"payment": {...}}'}
    if not isinstance(record, dict) or not (branch_id is None or isinstance(branch_id, int)):
        return {"status": "invalid", "field": "payment", "message": "payment must be an object"}
    return Submission(record, branch_id, "nats", "stream")


class StreamWorker:
    """One partition's durable pull consumer; the owner of that partition's feature state."""

    def __init__(self, partition: int, *, batch: int = 500, url: str | None = None) -> None:
        self.partition = partition
        self.batch = batch
        self.url = url or conf.nats_url()
        self.owner = PartitionOwner([partition])
        self.decided = 0
        # One thread for all database work: Django connections are per thread.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"risk-db-{partition}")

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executor, self.owner.load)
        nc = await nats.connect(self.url, name=f"bastion-risk-worker-{self.partition}")
        try:
            js = nc.jetstream()
            await ensure_streams(js)
            config = ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=float(os.environ.get("BASTION_RISK_ACK_WAIT", ACK_WAIT_SECONDS)),
                max_ack_pending=self.batch * 4,
            )
            sub = await js.pull_subscribe(
                payments_subject(self.partition),
                durable=f"risk-worker-{self.partition}",
                stream=conf.stream_name(),
                config=config,
            )
            # Pipelined: while batch N's decisions are published and its payments acknowledged,
            # batch N+1 is fetched and stored (the database thread waits on fsync meanwhile).
            finishing: asyncio.Task[None] | None = None
            try:
                while not stop.is_set():
                    try:
                        messages = await sub.fetch(self.batch, timeout=1.0)
                    except (TimeoutError, nats.errors.TimeoutError):
                        await loop.run_in_executor(self.executor, self._idle)
                        continue
                    finishing = await self._handle(nc, js, messages, loop, finishing)
            finally:
                if finishing is not None:
                    await finishing
        finally:
            # close, not drain: draining a pull subscription waits for fetches that never come.
            await nc.close()
            await loop.run_in_executor(self.executor, self._final_snapshot)
            self.executor.shutdown()

    async def _handle(
        self,
        nc: Any,
        js: JetStreamContext,
        messages: list[Any],
        loop: asyncio.AbstractEventLoop,
        previous: asyncio.Task[None] | None,
    ) -> asyncio.Task[None] | None:
        """Store a batch (after the previous one); returns the task publishing and acking it."""
        parsed = [_submission(m.data) for m in messages]
        items = [p for p in parsed if isinstance(p, Submission)]
        stored = loop.run_in_executor(self.executor, self.owner.submit, items) if items else None
        if previous is not None:
            await previous  # acknowledgements stay in stream order, batch after batch
        try:
            decided = await stored if stored is not None else []
        except Exception:
            logger.exception("risk worker %s: batch not stored; asking for redelivery", self.partition)
            await loop.run_in_executor(self.executor, close_old_connections)
            for message in messages:
                await message.nak(delay=1.0)
            return None
        return asyncio.create_task(self._publish_and_ack(nc, js, messages, parsed, decided, loop))

    async def _publish_and_ack(
        self,
        nc: Any,
        js: JetStreamContext,
        messages: list[Any],
        parsed: list[Submission | dict[str, Any]],
        decided: list[dict[str, Any]],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        outcomes = iter(decided)
        futures = []
        subject = decisions_subject(self.partition)
        for message, item in zip(messages, parsed, strict=True):
            outcome = next(outcomes) if isinstance(item, Submission) else item
            headers = {"Nats-Msg-Id": _decision_key(message, outcome)}
            futures.append(await js.publish_async(subject, json.dumps(outcome).encode(), headers=headers))
        await asyncio.gather(*futures)  # decisions are in their stream before the payments are acked
        for message in messages:
            await message.ack()
        await nc.flush()  # the acks reach the server now, not with the next fetch
        self.decided += len(messages)
        await loop.run_in_executor(self.executor, self.owner.snapshot)

    def _final_snapshot(self) -> None:
        self.owner.snapshot(force=True)

    def _idle(self) -> None:
        try:
            self.owner.snapshot()
        except Exception:
            logger.exception("risk snapshot failed")
            close_old_connections()


def _decision_key(message: Any, outcome: dict[str, Any]) -> str:
    """JetStream de-duplicates decisions by this id: a redelivered payment publishes it once."""
    decision = outcome.get("decision")
    if decision:
        return f"decision:{decision['payment_id']}"
    return f"refused:{message.metadata.sequence.stream}"
