"""The client's address, as every throttle and lockout of the site counts it.

Behind ``CLIENT_IP_PROXY_COUNT`` reverse proxies (environment variable
``AXES_PROXY_COUNT``), each appending the address it saw to
``X-Forwarded-For``, the client is the entry that many places from the
right: entries further left were written by the client and can be anything.
(django-ipware, which django-axes would otherwise use, is not installed: its
default picks the left-most entry, the one a client can forge.) With no
proxy, or a header shorter than the proxy chain, ``REMOTE_ADDR`` is used.
"""

from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the address of the client that sent ``request`` ("" if unknown)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.CLIENT_IP_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ip_address(candidate))
    except ValueError:
        return remote
