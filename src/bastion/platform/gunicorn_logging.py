"""Gunicorn's error and access logs as JSON lines, in the same shape as the application's logs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import traceback
from typing import Any

from gunicorn import glogging


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: timestamp, level, logger, event (as structlog renders them)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": _now(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class JsonLogger(glogging.Logger):
    """``logger_class`` for gunicorn: JSON error log, and an access log line per request."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonLineFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: dt.timedelta) -> None:
        if not self.access_log_enabled:
            return
        headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
        response_headers = {str(k).lower(): v for k, v in headers}
        status = str(resp.status).split(" ", 1)[0]
        line = {
            "timestamp": _now(),
            "level": "info",
            "logger": "gunicorn.access",
            "event": "http_request",
            "request_id": response_headers.get("x-request-id", ""),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": environ.get("PATH_INFO", ""),
            "query": environ.get("QUERY_STRING", ""),
            "status": int(status) if status.isdigit() else status,
            "bytes": getattr(resp, "sent", 0),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "remote_addr": environ.get("REMOTE_ADDR", ""),
            "user_agent": environ.get("HTTP_USER_AGENT", "")[:200],
        }
        try:
            self.access_log.info(json.dumps(line, ensure_ascii=False))
        except Exception:
            self.error(traceback.format_exc())
