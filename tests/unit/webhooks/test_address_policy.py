"""Where webhooks may connect: link-local and other never-routable addresses are always
refused; loopback and private ones unless the operator allows them; IPv6 forms that carry
an IPv4 address get that address's verdict."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carehub.webhooks.model import AddressPolicy

STRICT = AddressPolicy()
LENIENT = AddressPolicy(allow_private=True)

ALWAYS_REFUSED = {
    "169.254.169.254": "link-local",  # cloud metadata (AWS, GCP, Azure)
    "169.254.0.0": "link-local",
    "169.254.255.255": "link-local",
    "0.0.0.0": "this-network",
    "0.255.255.255": "this-network",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fe80::1%eth0": "link-local",
    "febf:ffff::1": "link-local",
    "ff02::1": "multicast",
    "::ffff:169.254.169.254": "link-local",  # IPv4-mapped
    "::ffff:a9fe:a9fe": "link-local",
    "64:ff9b::a9fe:a9fe": "link-local",  # NAT64 of 169.254.169.254
    "2002:a9fe:a9fe::1": "link-local",  # 6to4
    "::169.254.169.254": "link-local",  # IPv4-compatible (deprecated)
    "2001:0:4136:e378:8000:63bf:5601:5601": "link-local",  # Teredo client 169.254.169.254
    "::ffff:0.0.0.0": "this-network",
    "::ffff:224.0.0.1": "multicast",
}
PRIVATE = {
    "127.0.0.1": "loopback",
    "127.255.255.254": "loopback",
    "10.0.0.1": "private",
    "10.255.255.255": "private",
    "172.16.0.1": "private",
    "172.31.255.255": "private",
    "192.168.0.1": "private",
    "192.168.255.255": "private",
    "100.64.0.1": "shared (CGNAT)",
    "100.127.255.255": "shared (CGNAT)",
    "192.0.0.8": "IETF protocol",
    "198.18.0.1": "benchmarking",
    "::1": "loopback",
    "fc00::1": "unique-local",
    "fd12:3456:789a::1": "unique-local",
    "fec0::1": "site-local",
    "64:ff9b:1::a00:1": "local NAT64",
    "::ffff:127.0.0.1": "loopback",
    "::ffff:10.0.0.1": "private",
    "64:ff9b::a00:1": "private",  # NAT64 of 10.0.0.1
    "2002:c0a8:101::1": "private",  # 6to4 of 192.168.1.1
    "::127.0.0.1": "loopback",
}
PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "9.255.255.255",  # just below 10/8
    "11.0.0.0",  # just above
    "126.255.255.255",
    "128.0.0.0",
    "169.253.255.255",
    "169.255.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.167.255.255",
    "192.169.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "1.0.0.0",  # just above 0/8
    "223.255.255.255",  # just below multicast
    "203.0.113.10",  # documentation ranges are not refused (nothing answers there)
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
    "fe7f:ffff::1",  # just below fe80::/10
    "2a00:1450::1",
]


@pytest.mark.parametrize(("address", "why"), ALWAYS_REFUSED.items())
def test_always_refused(address: str, why: str) -> None:
    assert STRICT.refusal(address) == why
    assert LENIENT.refusal(address) == why


@pytest.mark.parametrize(("address", "why"), PRIVATE.items())
def test_private_refused_unless_allowed(address: str, why: str) -> None:
    assert STRICT.refusal(address) == why
    assert LENIENT.refusal(address) is None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_allowed(address: str) -> None:
    assert STRICT.refusal(address) is None
    assert LENIENT.refusal(address) is None


@pytest.mark.parametrize("text", ["example.com", "", "1.2.3", "256.0.0.1", "[::1]", "0x7f.1"])
def test_anything_but_an_ip_literal_is_refused(text: str) -> None:
    assert STRICT.refusal(text) == "not an IP address"
    assert LENIENT.refusal(text) == "not an IP address"


IPV4 = st.integers(min_value=0, max_value=2**32 - 1).map(ipaddress.IPv4Address)


@given(IPV4)
def test_ipv6_forms_carrying_an_ipv4_address_get_its_verdict(v4: ipaddress.IPv4Address) -> None:
    value = int(v4)
    forms = [
        ipaddress.IPv6Address((0xFFFF << 32) | value),  # ::ffff:a.b.c.d
        ipaddress.IPv6Address((0x64FF9B << 96) | value),  # 64:ff9b::a.b.c.d
        ipaddress.IPv6Address((0x2002 << 112) | (value << 80) | 1),  # 6to4
    ]
    for policy in (STRICT, LENIENT):
        verdict = policy.refusal(str(v4))
        for form in forms:
            assert policy.refusal(str(form)) == verdict, form


# Python's own view of reachability, as an independent check of the tables above (for
# IPv4; 192.0.0.0/24 is refused whole although Python may call parts of it global).
@given(IPV4)
def test_agrees_with_python_on_what_is_globally_reachable(v4: ipaddress.IPv4Address) -> None:
    verdict = STRICT.refusal(str(v4))
    if v4.is_link_local or v4.is_multicast or v4.is_loopback or v4.is_unspecified:
        assert verdict is not None
    if v4.is_global and not v4.is_multicast and v4 not in ipaddress.ip_network("192.0.0.0/24"):
        assert verdict is None
    if verdict is None:
        documentation = [
            ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
        ]
        assert v4.is_global or any(v4 in net for net in documentation)


@pytest.mark.parametrize("first_octet", range(256))
def test_every_ipv4_slash8_edge(first_octet: int) -> None:
    """The first and last address of every /8 against a plain table of the rules."""
    always = {0: "this-network", **{o: "multicast" for o in range(224, 240)}}
    always |= {o: "reserved" for o in range(240, 256)}
    for address in (f"{first_octet}.0.0.0", f"{first_octet}.255.255.255"):
        if first_octet in always:
            expected_strict = expected_lenient = always[first_octet]
        elif first_octet == 127:
            expected_strict, expected_lenient = "loopback", None
        elif first_octet == 10:
            expected_strict, expected_lenient = "private", None
        elif address == "192.0.0.0":
            expected_strict, expected_lenient = "IETF protocol", None
        else:
            expected_strict = expected_lenient = None
        assert STRICT.refusal(address) == expected_strict, address
        assert LENIENT.refusal(address) == expected_lenient, address
