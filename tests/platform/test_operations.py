"""Operations: health and readiness, metrics across workers, JSON logs with request ids, the
production server (``bastion serve``) and the task-queue worker (``bastion worker``)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from huey import SqliteHuey

from tests.conftest import require_service

BIN = Path(sys.executable).parent


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BASTION_", "PROMETHEUS_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "bastion.settings", "BASTION_HOME": str(home)})
    env.update(extra)
    return env


def _django(home: Path, script: str, **extra: str) -> subprocess.CompletedProcess[str]:
    prelude = "import django, json\ndjango.setup()\nfrom django.test import Client\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + script],
        env=_env(home, **extra),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )


READYZ = 'r = Client().get("/readyz"); print(r.status_code); print(json.dumps(r.json()))'


def _readyz(home: Path, **extra: str) -> tuple[int, dict]:
    result = _django(home, READYZ, **extra)
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-2:]
    return int(status), json.loads(body)


# --- health, readiness, metrics (in process) -------------------------------------------------------


@pytest.mark.django_db
def test_healthz_readyz_and_metrics(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "task_queue": "ok"}
    sample = re.compile(
        r'^bastion_http_requests_total\{method="GET",route="healthz",status="200"\} (\S+)$', re.M
    )

    def served() -> float:
        found = sample.search(client.get("/metrics").content.decode())
        return float(found.group(1)) if found else 0.0

    before = served()
    client.get("/healthz")
    client.get("/healthz")
    assert served() == before + 2
    text = client.get("/metrics").content.decode()
    assert 'bastion_http_request_duration_seconds_bucket{le="0.005",method="GET",route="healthz"}' in text
    client.get("/no-such-page/")
    assert 'route="unmatched",status="404"' in client.get("/metrics").content.decode()


# --- readiness against real (and unreachable) dependencies, in fresh processes ----------------------


def test_readyz_is_503_when_the_task_queue_is_unreachable(tmp_path: Path) -> None:
    status, body = _readyz(tmp_path, BASTION_REDIS_URL="redis://127.0.0.1:1/0")
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["task_queue"].startswith("error: ")


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    status, body = _readyz(tmp_path, BASTION_DATABASE_URL="postgres://postgres@127.0.0.1:1/bastion")
    assert status == 503
    assert body["checks"]["database"].startswith("error: ")
    assert body["checks"]["task_queue"] == "ok"


def test_readyz_is_200_with_a_real_redis_queue(tmp_path: Path) -> None:
    require_service("redis")
    status, body = _readyz(tmp_path, BASTION_REDIS_URL="redis://127.0.0.1:6379/15")
    assert (status, body["checks"]) == (200, {"database": "ok", "task_queue": "ok"})


def test_log_lines_are_json_and_carry_the_request_id(tmp_path: Path) -> None:
    result = _django(tmp_path, 'r = Client().get("/api/v1/no-such-endpoint"); print(r["X-Request-ID"])')
    assert result.returncode == 0, result.stderr
    request_id = result.stdout.strip().splitlines()[-1]
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    not_found = [line for line in lines if "Not Found" in line.get("event", "")]
    assert not_found, result.stderr
    assert not_found[0]["request_id"] == request_id
    assert not_found[0]["level"] == "warning" and not_found[0]["logger"] == "django.request"
    assert "timestamp" in not_found[0]


# --- bastion serve ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - a local test server
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, response.read(), dict(response.headers)


def _wait_until_up(url: str, process: subprocess.Popen[str], deadline: float = 180) -> None:
    # Generous: a cold start compiles every module when bytecode caching is off and the machine is busy.
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {process.communicate()}")
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("server did not answer in time")


def test_serve_print_command() -> None:
    from io import StringIO

    out = StringIO()
    call_command("serve", "--print-command", "--bind", "127.0.0.1:9999", "--workers", "3", stdout=out)
    command = out.getvalue()
    assert "-m gunicorn --config python:bastion.platform.gunicorn_conf --bind 127.0.0.1:9999" in command
    assert "--workers 3" in command and "bastion.wsgi:application" in command


def test_serve_runs_gunicorn_with_json_access_log_and_summed_metrics(tmp_path: Path) -> None:
    env = _env(tmp_path)
    migrate = subprocess.run(
        [str(BIN / "bastion"), "migrate", "--no-input"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "bastion"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_up(f"{base}/healthz", server)
        for _ in range(30):
            assert _get(f"{base}/healthz")[0] == 200
        status, _body, headers = _get(f"{base}/readyz", **{"X-Request-ID": "probe-0123456789"})
        assert status == 200 and headers["X-Request-ID"] == "probe-0123456789"
        metrics = _get(f"{base}/metrics")[1].decode()
        counted = re.search(
            r'bastion_http_requests_total\{method="GET",route="healthz",status="200"\} (\S+)', metrics
        )
        assert counted is not None
        assert float(counted.group(1)) >= 30  # summed over both workers, whichever served each request
        assert (tmp_path / "metrics").is_dir() and list((tmp_path / "metrics").glob("*.db"))
        assert (tmp_path / "static").is_dir()  # collected for whitenoise
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    access = [json.loads(line) for line in out.splitlines() if '"gunicorn.access"' in line]  # stdout
    probe = [line for line in access if line["request_id"] == "probe-0123456789"]
    assert probe and probe[0]["path"] == "/readyz" and probe[0]["status"] == 200
    assert not [line for line in err.splitlines() if line.strip() and not line.startswith("{")]  # all JSON
    assert "gunicorn on 127.0.0.1" in out


def test_serve_refuses_unapplied_migrations(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "bastion"), "serve", "--bind", "127.0.0.1:1"],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "run `bastion migrate` before serving" in result.stderr


# --- bastion worker -----------------------------------------------------------------------------------


def test_worker_consumes_the_sqlite_queue_and_stops_gracefully(tmp_path: Path) -> None:
    worker = subprocess.Popen(
        [str(BIN / "bastion"), "worker", "--workers", "2", "--no-periodic"],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Another process (as the web server would) enqueues through the application's own queue.
        client = _django(
            tmp_path,
            "import time\n"
            "from django.core.cache import cache\n"
            "from bastion.platform.tasks import HEARTBEAT_KEY, record_worker_heartbeat\n"
            "record_worker_heartbeat()\n"  # periodic tasks keep no result: watch their effect
            "for _ in range(120):\n"
            "    if cache.get(HEARTBEAT_KEY): break\n"
            "    time.sleep(0.5)\n"
            "print(cache.get(HEARTBEAT_KEY))",
        )
        assert client.returncode == 0, client.stderr
        assert client.stdout.strip().startswith("20")  # an ISO timestamp written by the worker
        assert SqliteHuey("bastion", filename=str(tmp_path / "tasks.sqlite3")).pending_count() == 0
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert "periodic tasks off" in out
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(
        line["logger"].startswith("huey") and "record_worker_heartbeat" in line["event"] for line in logged
    )
    assert not [line for line in err.splitlines() if line.strip() and not line.startswith("{")]
