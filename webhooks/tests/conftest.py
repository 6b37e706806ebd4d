"""A real HTTP receiver on loopback, subscriptions to it, and the database queue."""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jobs.tests.conftest import queue, run_worker
from tests.factories import UserFactory
from webhooks.services import subscription_save

__all__ = ["queue", "run_worker"]


@dataclass
class Received:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def signature_valid(self, secret: str) -> bool:
        message = self.headers["X-Webhook-Timestamp"].encode() + b"." + self.body
        expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        return hmac.compare_digest(
            self.headers["X-Webhook-Signature"], f"sha256={expected}"
        )


@dataclass
class Receiver:
    """What the receiver got, and what it answers next (200 once the plan is out)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    # (status, body, extra headers) answers, in turn.
    plan: list[tuple[int, bytes, dict]] = field(default_factory=list)
    delay: float = 0.0

    def answer(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.plan.append((status, body, headers))


@pytest.fixture
def receiver():
    """An HTTP server on 127.0.0.1 (a free port) recording each request."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append(
                Received("POST", self.path, dict(self.headers), self.rfile.read(length))
            )
            if state.delay:
                time.sleep(state.delay)
            status, body, headers = (
                state.plan.pop(0) if state.plan else (200, b"ok", {})
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/crm"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def free_port() -> int:
    """Return a loopback port nothing listens on (for a refused connection)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def _loopback_targets(settings):
    """The receiver is on loopback; a short timeout keeps slow tests short."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT = 2


@pytest.fixture
def admin(db):
    return UserFactory(username="webmaster", is_superuser=True)


@pytest.fixture
def subscribe(admin):
    """Subscribe a URL (the receiver's, usually) to some events."""

    def subscribe(url: str, *events: str, name: str = "Accounting", active=True):
        from webhooks.models import WebhookSubscription

        return subscription_save(
            subscription=WebhookSubscription(
                name=name, url=url, events=list(events), is_active=active
            ),
            by=admin,
        )

    return subscribe
