"""The client's address: X-Forwarded-For believed only from the proxies the operator trusts."""

import pytest

from app.settings import ConfigurationError, Settings
from app.web.client_address import address_group, resolve


def test_without_trusted_proxies_the_header_is_ignored():
    # A bot writing the header from the machine itself (loopback) gains nothing.
    assert resolve("127.0.0.1", ["203.0.113.9"], ()) == "127.0.0.1"


def test_a_peer_that_is_not_a_trusted_proxy_cannot_choose_its_address():
    assert resolve("198.51.100.7", ["203.0.113.9"], ("10.0.0.0/8",)) == "198.51.100.7"


def test_behind_a_trusted_proxy_the_last_untrusted_hop_is_the_client():
    # A client sent a forged first hop; the proxy appended the address it saw.
    assert resolve("10.0.0.5", ["6.6.6.6, 203.0.113.9"], ("10.0.0.0/8",)) == "203.0.113.9"


def test_chains_of_trusted_proxies_are_skipped():
    hops = ["203.0.113.9, 10.0.0.7", "10.0.0.6"]
    assert resolve("10.0.0.5", hops, ("10.0.0.0/8",)) == "203.0.113.9"


def test_an_unreadable_hop_stops_at_the_last_trusted_proxy():
    assert resolve("10.0.0.5", ["not-an-address"], ("10.0.0.5",)) == "10.0.0.5"


def test_a_trusted_proxy_without_header_is_the_client():
    assert resolve("10.0.0.5", [], ("10.0.0.5",)) == "10.0.0.5"


def test_ipv6_addresses_of_one_network_are_one_client():
    assert address_group("2001:db8:1:2:aaaa::1") == address_group("2001:db8:1:2:ffff::9")
    assert address_group("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_group("2001:db8:1:3::1") != address_group("2001:db8:1:2::1")
    assert address_group("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_group("192.0.2.1") != address_group("192.0.2.2")


def test_trusted_proxies_setting_is_checked(tmp_path):
    env = {
        "CRENEAU_DATA_DIR": str(tmp_path),
        "CRENEAU_TRUSTED_PROXIES": "10.0.0.5, ::1 192.168.0.0/24",
    }
    assert Settings.from_env(env).protection.trusted_proxies == (
        "10.0.0.5/32",
        "::1/128",
        "192.168.0.0/24",
    )
    assert Settings.from_env({"CRENEAU_DATA_DIR": str(tmp_path)}).protection.trusted_proxies == ()
    with pytest.raises(ConfigurationError, match="CRENEAU_TRUSTED_PROXIES"):
        Settings.from_env({**env, "CRENEAU_TRUSTED_PROXIES": "proxy.example"})
