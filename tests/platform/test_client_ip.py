"""The audit source address: X-Forwarded-For is believed only from a trusted proxy."""

from __future__ import annotations

from django.test import RequestFactory, override_settings

from bastion.platform.middleware import client_ip


def _request(peer: str, forwarded: str = ""):
    extra = {"REMOTE_ADDR": peer}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_direct_peer_is_the_client():
    assert client_ip(_request("203.0.113.9", forwarded="198.51.100.1")) == "203.0.113.9"


@override_settings(BASTION_TRUSTED_PROXIES=frozenset({"10.0.0.2", "10.0.0.3"}))
def test_trusted_proxy_chain_yields_the_rightmost_untrusted_hop():
    # The left-most entry was written by the client and may be forged; it is not believed.
    assert client_ip(_request("10.0.0.2", forwarded="1.1.1.1, 203.0.113.7, 10.0.0.3")) == "203.0.113.7"
    assert client_ip(_request("10.0.0.2")) == "10.0.0.2"
