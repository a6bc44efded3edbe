"""Security baseline: headers, production fail-fast, rate limits, upload checks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation
from PIL import Image

from bastion.platform.errors import FieldError
from bastion.platform.uploads import validate_upload

# --- headers ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_security_headers_on_a_console_page(client) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    session_cookie = client.cookies.get("bastion_session")
    if session_cookie is not None:
        assert session_cookie["httponly"]
        assert session_cookie["samesite"] == "Lax"


# --- production settings ------------------------------------------------------------------------------

_PROBE = """
import django
from django.conf import settings
django.setup()
from django.test import Client
r = Client().get("/healthz", secure=True)
print("HSTS", settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS)
print("COOKIES", settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.DEBUG)
print("HEADER", r.status_code, r["Strict-Transport-Security"])
print("REDIRECT", Client().get("/healthz").status_code)
"""


def _run_with(env_vars: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASTION_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bastion.settings",
            "BASTION_HOME": str(tmp_path),
            "BASTION_ENV": "production",
        }
    )
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_naming_every_missing_variable(tmp_path: Path) -> None:
    result = _run_with({}, tmp_path)
    assert result.returncode != 0
    assert "Bastion refuses to start in production" in result.stderr
    for name in (
        "BASTION_SECRET_KEY",
        "BASTION_DATABASE_URL",
        "BASTION_REDIS_URL",
        "BASTION_FIELD_KEYS",
        "BASTION_ALLOWED_HOSTS",
    ):
        assert name in result.stderr
    sqlite = _run_with(
        {"BASTION_SECRET_KEY": "x" * 50, "BASTION_DATABASE_URL": "sqlite:///db.sqlite3"}, tmp_path
    )
    assert sqlite.returncode != 0
    assert "BASTION_DATABASE_URL (a postgres:// URL)" in sqlite.stderr
    assert "BASTION_SECRET_KEY" not in sqlite.stderr.split("missing or invalid:")[1]


def test_production_with_everything_set_uses_hsts_and_secure_cookies(tmp_path: Path) -> None:
    result = _run_with(
        {
            "BASTION_SECRET_KEY": "s" * 64,
            "BASTION_DATABASE_URL": "postgres://bastion@127.0.0.1:5432/bastion",
            "BASTION_REDIS_URL": "redis://127.0.0.1:6379/0",
            "BASTION_FIELD_KEYS": "k1:" + "A" * 43,
            "BASTION_ALLOWED_HOSTS": "testserver",
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "HSTS 31536000 True" in result.stdout
    assert "COOKIES True True False" in result.stdout
    assert "HEADER 200 max-age=31536000; includeSubDomains" in result.stdout
    assert "REDIRECT 301" in result.stdout  # plain HTTP is sent to HTTPS


# --- rate limits --------------------------------------------------------------------------------------


@pytest.fixture
def limited(settings) -> None:
    settings.ROOT_URLCONF = "tests.platform.ratelimit_urls"
    cache.clear()


def test_rate_limited_view_answers_429_in_the_error_shape(client, limited) -> None:
    with override_settings(BASTION_RATE_LIMIT_LOGIN="3/d"):
        statuses = [client.post("/form/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        blocked = client.post("/form/")
        assert blocked.json()["error"]["code"] == "rate_limited"
        assert int(blocked["Retry-After"]) > 0
        assert client.get("/form/").status_code == 200  # GETs are not counted
        other = client.post("/form/", REMOTE_ADDR="10.0.0.9")
        assert other.status_code == 200  # the budget is per client address


def test_check_rate_in_a_ninja_handler(client, limited) -> None:
    assert [client.get("/api/ping").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/api/ping")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"


# --- uploads ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, fmt)
    return buffer.getvalue()


def _xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["网点", "数量"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


ALL_KINDS = {"csv", "xlsx", "pdf", "png", "jpeg"}


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("devices.csv", "编号,网点,状态\nATM-001,上海浦东支行,正常\n".encode(), "csv"),
        ("devices.csv", "编号,网点\nATM-001,北京海淀支行\n".encode("gb18030"), "csv"),
        ("report.xlsx", _xlsx(), "xlsx"),
        ("scan.pdf", _image("PDF"), "pdf"),
        ("photo.PNG", _image("PNG"), "png"),
        ("photo.jpg", _image("JPEG"), "jpeg"),
        ("photo.jpeg", _image("JPEG"), "jpeg"),
    ],
)
def test_genuine_uploads_are_accepted(name: str, content: bytes, kind: str) -> None:
    upload = SimpleUploadedFile(name, content)
    assert validate_upload(upload, allowed=ALL_KINDS) == kind
    assert upload.read() == content  # left rewound for the caller


def _zip_named_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/other.xml", "<x/>")
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "allowed", "message"),
    [
        ("photo.png", _image("JPEG"), ALL_KINDS, "does not match"),
        ("invoice.pdf", _image("PNG"), ALL_KINDS, "does not match"),
        ("data.csv", _image("PNG"), ALL_KINDS, "does not match"),
        ("data.csv", b"a,b\x00\x01\x02,c\n", ALL_KINDS, "does not match"),
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 100, ALL_KINDS, "Only these file types"),
        ("noextension", b"a,b\n1,2\n", ALL_KINDS, "Only these file types"),
        ("photo.png", _image("PNG"), {"csv", "xlsx"}, "csv, xlsx"),
        ("empty.csv", b"", ALL_KINDS, "empty"),
        ("report.xlsx", _zip_named_xlsx(), ALL_KINDS, "not an Excel workbook"),
        ("report.xlsx", _zip_bomb(), ALL_KINDS, "implausible size"),
    ],
)
def test_bad_uploads_are_refused_naming_the_field(
    name: str, content: bytes, allowed: set[str], message: str
) -> None:
    with pytest.raises(FieldError) as refused:
        validate_upload(SimpleUploadedFile(name, content), allowed=allowed, field="attachment")
    assert list(refused.value.fields) == ["attachment"]
    assert message in refused.value.fields["attachment"][0]


def test_upload_size_limit(settings) -> None:
    settings.BASTION_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(FieldError, match=r"larger than 1\.0\sKB"):
        validate_upload(SimpleUploadedFile("big.csv", b"a,b\n" * 300), allowed={"csv"})
    assert (
        validate_upload(SimpleUploadedFile("big.csv", b"a,b\n" * 300), allowed={"csv"}, max_bytes=2048)
        == "csv"
    )
    with pytest.raises(ValueError, match="unsupported upload kinds"):
        validate_upload(SimpleUploadedFile("a.csv", b"a\n"), allowed={"exe"})
