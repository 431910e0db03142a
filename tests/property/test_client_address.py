"""The rate limiter's client address, read with packed bytes (``socket.inet_pton``), says
what the plain reading with ``ipaddress`` objects says, for any peer and any
``X-Forwarded-For`` chain: the oracle below is that plain reading, written out."""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tickex.entrypoints.http.rate_limit import (
    IPV6_CLIENT_PREFIX,
    MAX_FORWARDED_HOPS,
    MAX_HOP_LENGTH,
    client_address,
    parse_networks,
)

TRUSTED = parse_networks(["10.0.0.0/8", "192.0.2.0/24", "::1", "2001:db8::/32", "fd00::/8"])
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def oracle_parse(text: str) -> Address | None:
    text = text.strip().strip('"')
    if not text or len(text) > MAX_HOP_LENGTH:
        return None
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def oracle(peer: str, forwarded: list[str]) -> str:
    address = oracle_parse(peer)
    if address is None:
        return peer or "unknown"

    def trusted(candidate: Address) -> bool:
        return any(candidate in network for network in TRUSTED)

    hops = [hop for value in forwarded for hop in value.split(",")][-MAX_FORWARDED_HOPS:]
    if trusted(address):
        for hop in reversed(hops):
            found = oracle_parse(hop)
            if found is None:
                break
            address = found
            if not trusted(found):
                break
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


def _v4(n: int) -> str:
    return str(ipaddress.IPv4Address(n))


ipv4 = st.one_of(
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**24 - 1).map(lambda n: (10 << 24) + n),  # trusted
    st.integers(0, 255).map(lambda n: (192 << 24) + (2 << 8) + n),  # trusted
).map(_v4)


def _v6(n: int, form: int) -> str:
    address = ipaddress.IPv6Address(n)
    return [address.compressed, address.exploded, address.compressed.upper()][form % 3]


ipv6 = st.builds(
    _v6,
    st.one_of(
        st.integers(0, 2**128 - 1),
        st.integers(0, 2**96 - 1).map(lambda n: (0x20010DB8 << 96) + n),  # trusted
        st.integers(0, 2**120 - 1).map(lambda n: (0xFD << 120) + n),  # trusted
        st.integers(0, 2**32 - 1).map(lambda n: (0xFFFF << 32) + n),  # IPv4-mapped
        st.integers(0, 2**64 - 1).map(lambda n: n << 64),  # a zero interface part
        st.sampled_from([0, 1]),
    ),
    st.integers(0, 2),
)
odd = st.sampled_from(
    ["", " ", "unknown", "testclient", "not-an-ip", "1.2.3", "01.2.3.4", "1.2.3.4.5",
     "::ffff:1.2.3.4", "::1.2.3.4", "fe80::1%eth0", "[fe80::1%25eth0]:80", "[::1", "::1]",
     "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "12345::", "x" * 80, '"::1"',
     "\uff11.\uff12.\uff13.\uff14"]
)  # fmt: skip


def _with_port(address: str, port: int | None) -> str:
    if port is None:
        return address
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


hop = st.one_of(
    st.builds(_with_port, st.one_of(ipv4, ipv6), st.none() | st.integers(1, 65535)),
    odd,
    st.text(max_size=12),
).map(lambda text: text.replace(",", ""))
chain = st.lists(st.lists(hop, max_size=4).map(", ".join), max_size=3)


@settings(max_examples=400)
@given(peer=st.one_of(ipv4, ipv6, odd), forwarded=chain)
def test_the_packed_reading_says_what_ipaddress_says(peer: str, forwarded: list[str]) -> None:
    scope: Any = {
        "client": (peer, 1234),
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
    }
    as_read = [value.encode().decode("latin-1") for value in forwarded]  # as a header is
    assert client_address(scope, TRUSTED) == oracle(peer, as_read)
