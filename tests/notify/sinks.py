"""Real local endpoints for delivery tests: an HTTP server and a minimal SMTP server, each in a thread."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class HttpSink:
    """Records requests; answers with the queued (status, json) replies, then 200 ``ok_body``."""

    ok_body: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    replies: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@contextmanager
def http_sink(**kwargs: Any) -> Iterator[HttpSink]:
    sink = HttpSink(**kwargs)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            sink.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "raw": raw,
                    "json": json.loads(raw or b"{}"),
                }
            )
            status, body = sink.replies.pop(0) if sink.replies else (200, sink.ok_body)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SmtpSink:
    """Messages received: ``{"from", "to": [...], "data": bytes}``; ``refuse`` answers 451 to DATA."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    refuse: int = 0
    rcpt_reply: str = "250 OK"
    port: int = 0


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """Just enough SMTP (RFC 5321) for Python's smtplib: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""
    sink = SmtpSink()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")
            self.wfile.flush()

        def handle(self) -> None:
            self.reply("220 sink.local ESMTP test sink")
            sender, recipients = "", []
            while True:
                raw = self.rfile.readline()
                if not raw:
                    return
                command = raw.decode("utf-8", "replace").strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    self.wfile.write(b"250-sink.local\r\n250 8BITMIME\r\n")
                    self.wfile.flush()
                elif verb == "MAIL":
                    sender, recipients = command.split(":", 1)[1].strip().strip("<>"), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                    self.reply(sink.rcpt_reply)
                elif verb == "DATA":
                    if sink.refuse > 0:
                        sink.refuse -= 1
                        self.reply("451 4.3.0 try again later")
                        continue
                    self.reply("354 end with .")
                    lines = []
                    while (line := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(line[1:] if line.startswith(b"..") else line)
                    sink.messages.append({"from": sender, "to": recipients, "data": b"".join(lines)})
                    self.reply("250 OK queued")
                elif verb in ("RSET", "NOOP"):
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not implemented")

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
