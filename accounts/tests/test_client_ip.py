"""The client address every throttle and lockout counts, behind proxies too."""

import pytest
from django.test import RequestFactory

from accounts.client_ip import client_ip


def request(remote="10.0.0.1", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_a_proxy_the_forwarded_header_is_ignored(settings):
    settings.CLIENT_IP_PROXY_COUNT = 0
    assert client_ip(request(forwarded="1.2.3.4")) == "10.0.0.1"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        # nginx appends the address it saw; a forged left part is ignored.
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (1, "203.0.113.7", "203.0.113.7"),
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        # Shorter than the proxy chain, or not an address: the peer's address.
        (2, "203.0.113.7", "10.0.0.1"),
        (1, "not-an-ip", "10.0.0.1"),
        (1, "", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_proxies_the_entry_the_first_proxy_saw_counts(
    settings, proxies, forwarded, expected
):
    settings.CLIENT_IP_PROXY_COUNT = proxies
    assert client_ip(request(forwarded=forwarded)) == expected


def test_axes_reads_the_same_address(settings):
    from axes.helpers import get_client_ip_address

    settings.CLIENT_IP_PROXY_COUNT = 1
    assert get_client_ip_address(request(forwarded="6.6.6.6, 203.0.113.7")) == (
        "203.0.113.7"
    )
