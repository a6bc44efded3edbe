"""Foundation checks that the production services answer with a real round trip.

Locally each test skips when its service is not running; under ``CI=true`` it must run.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import uuid

import nats
import paho.mqtt.client as mqtt
from huey import RedisHuey

from tests.conftest import require_service


def test_redis_huey_runs_a_task_through_a_real_consumer() -> None:
    require_service("redis")
    huey = RedisHuey(f"bastion-test-{uuid.uuid4().hex}", url="redis://127.0.0.1:6379/15")

    @huey.task()
    def settle(amount: str, fee: str) -> str:
        from decimal import Decimal

        return str(Decimal(amount) - Decimal(fee))

    try:
        result = settle("100.00", "0.35")
        assert huey.pending_count() == 1  # really in Redis, not run inline
        consumer = huey.create_consumer(workers=1, worker_type="thread", periodic=False)
        consumer.start()  # worker and scheduler threads; run() would also install signal handlers
        try:
            assert result.get(blocking=True, timeout=15) == "99.65"
        finally:
            consumer.stop(graceful=True)
        assert huey.pending_count() == 0
    finally:
        huey.storage.flush_all()


def test_nats_jetstream_publish_pull_and_ack() -> None:
    require_service("nats")

    async def scenario() -> None:
        client = await nats.connect("nats://127.0.0.1:4222", connect_timeout=5)
        stream = f"BASTION_TEST_{uuid.uuid4().hex[:12].upper()}"
        subject = f"bastion.test.{stream.lower()}"
        jetstream = client.jetstream()
        try:
            await jetstream.add_stream(name=stream, subjects=[f"{subject}.>"])
            payment = {"txn": "T-0001", "amount": "100.00", "currency": "CNY"}
            ack = await jetstream.publish(f"{subject}.p0", json.dumps(payment).encode())
            assert (ack.stream, ack.seq) == (stream, 1)
            pull = await jetstream.pull_subscribe(f"{subject}.p0", durable="scorer-p0", stream=stream)
            messages = await pull.fetch(1, timeout=5)
            assert json.loads(messages[0].data) == payment
            await messages[0].ack_sync()
            info = await jetstream.consumer_info(stream, "scorer-p0")
            assert info.num_ack_pending == 0
            assert info.ack_floor is not None and info.ack_floor.stream_seq == 1
        finally:
            await jetstream.delete_stream(stream)
            await client.close()

    asyncio.run(scenario())


def test_mqtt_subscriber_receives_a_published_message() -> None:
    require_service("mqtt")
    topic = f"bastion/test/{uuid.uuid4().hex}/telemetry"
    received: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    subscribed = threading.Event()

    subscriber = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"sub-{uuid.uuid4().hex[:8]}")
    subscriber.on_connect = lambda client, userdata, flags, reason, props: client.subscribe(topic, qos=1)
    subscriber.on_subscribe = lambda client, userdata, mid, reasons, props: subscribed.set()
    subscriber.on_message = lambda client, userdata, message: received.put(message)
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    subscriber.connect("127.0.0.1", 1883)
    subscriber.loop_start()
    try:
        assert subscribed.wait(10), "no SUBACK from the broker"
        publisher.connect("127.0.0.1", 1883)
        publisher.loop_start()
        reading = {"device": "ATM-001", "temperature_c": 41.5}
        info = publisher.publish(topic, json.dumps(reading), qos=1)
        info.wait_for_publish(timeout=10)
        message = received.get(timeout=10)
        assert message.topic == topic
        assert json.loads(message.payload) == reading
    finally:
        for client in (publisher, subscriber):
            client.loop_stop()
            client.disconnect()
