"""One POST of a delivery: the signed JSON body, the guarded connection, the answer.

The standard library's urllib.request, not ``requests``: one POST with a
timeout needs nothing more, its connection classes let the socket go to
the address checked below (see ``_Pinned*``), and the project takes on no
dependency (and its own dependencies) to vet and keep updated for it.

Server-side request forgery guard: an administrator types the URL, but a
receiver's host name could still point at the school's own network. The
name is resolved once; unless ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` is on, every
address it resolves to must be a public one (no loopback, private,
link-local, shared, reserved or multicast address); the connection then
goes to the address checked, while the Host header and the TLS certificate
check keep the name, so a name that resolves differently a moment later
(DNS rebinding) cannot slip past. Redirects are not followed (a 3xx answer
is a failed attempt) and proxies from the environment are not used.

At most ``RESPONSE_READ_LIMIT`` bytes of an answer are read.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings

from webhooks.models import RESPONSE_BODY_KEPT, SCHEMES, WebhookDelivery

RESPONSE_READ_LIMIT = 4096
USER_AGENT = "TrainingSchoolCRM-Webhooks/1"


class TargetRefused(Exception):
    """The target URL may not be sent to (its scheme, or an address not public)."""


@dataclass(frozen=True)
class Answer:
    """The receiver's answer: its status code and the start of its body."""

    status: int
    body: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """Return the JSON body of ``delivery``: compact, UTF-8."""
    document = {
        "id": str(delivery.delivery_id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the X-Webhook-Signature of ``body`` sent at ``timestamp``.

    ``sha256=`` and the hex HMAC-SHA256, keyed with the subscription's
    secret, of the timestamp, a dot and the body: a receiver that checks
    the timestamp is recent also refuses a replayed delivery.
    """
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def target_address(url: str) -> str:
    """Return the IP address to connect to for ``url``; refuse a forbidden one."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise TargetRefused(f"The URL cannot be used: {error}.") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise TargetRefused("Only http:// and https:// URLs receive webhooks.")
    found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        refused = [address for address in addresses if not _public(address)]
        if refused:
            raise TargetRefused(
                f"{parts.hostname} resolves to {', '.join(refused)}, which is not "
                "a public address (WEBHOOK_ALLOW_PRIVATE_TARGETS is off)."
            )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to the address checked, whatever the name resolves to."""

    def __init__(self, *args, address: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS: the certificate is checked against the host name."""

    def __init__(self, *args, address: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, address: str):
        super().__init__()
        self.address = address

    def http_open(self, req):
        return self.do_open(partial(_PinnedHTTPConnection, address=self.address), req)


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, address: str):
        super().__init__(context=ssl.create_default_context())
        self.address = address

    def https_open(self, req):
        return self.do_open(
            partial(_PinnedHTTPSConnection, address=self.address),
            req,
            context=self._context,
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx answer is returned as an error, not followed


def _read(response) -> str:
    return response.read(RESPONSE_READ_LIMIT).decode("utf-8", errors="replace")[
        :RESPONSE_BODY_KEPT
    ]


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``url`` and return the answer, whatever its status.

    Raise TargetRefused for a forbidden target, OSError (URLError, timeouts,
    refused connections) when no answer came.
    """
    address = target_address(url)
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _NoRedirect(),
        _PinnedHTTPHandler(address),
        _PinnedHTTPSHandler(address),
    )
    request = urllib.request.Request(  # noqa: S310 - the scheme was checked
        url, data=body, headers={"User-Agent": USER_AGENT, **headers}, method="POST"
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            return Answer(response.status, _read(response))
    except urllib.error.HTTPError as error:  # any status but 2xx
        with error:
            return Answer(error.code, _read(error))
