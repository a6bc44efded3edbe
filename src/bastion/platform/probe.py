"""Does a standard local service answer? ``python -m bastion.platform.probe postgres`` exits 0 if so."""

from __future__ import annotations

import socket
import sys

SERVICE_PORTS = {"postgres": 5432, "redis": 6379, "nats": 4222, "mqtt": 1883}


def answers(service: str, *, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    """True when a TCP connection to the service's standard port succeeds."""
    try:
        with socket.create_connection((host, SERVICE_PORTS[service]), timeout=timeout):
            return True
    except OSError:
        return False


def main(argv: list[str]) -> int:
    unknown = [name for name in argv if name not in SERVICE_PORTS]
    if not argv or unknown:
        print(f"usage: probe {{{','.join(SERVICE_PORTS)}}}...", file=sys.stderr)
        return 2
    return 0 if all(answers(name) for name in argv) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
