"""The one egress guard: every outbound call hezi makes on a user's behalf is checked here first.

Loopback, link-local (cloud metadata lives there), private, shared, multicast and reserved addresses are
refused, unless the administrator allows a range with HEZI_EGRESS_ALLOW_CIDRS (for example a vLLM server at
10.0.0.5: `HEZI_EGRESS_ALLOW_CIDRS=10.0.0.0/24`). Names are resolved and every address they resolve to is
checked, so a public name pointing at a private address is refused too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from hezi.errors import Forbidden, InvalidInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class EgressRefused(Forbidden):
    code = "egress_refused"


def parse_cidrs(text: str) -> list[Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"))
    )


async def check_url(url: str, allowed: list[Network]) -> None:
    """Raise unless `url` is http(s) and every address its host resolves to may be reached."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("Only http:// and https:// URLs with a host are allowed.", code="invalid_url")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidInput(f"Cannot resolve {parts.hostname}: {exc.strerror}", code="unresolvable_host") from exc
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if _forbidden(ip) and not any(ip in net for net in allowed):
            raise EgressRefused(
                f"{parts.hostname} resolves to {ip}, an internal address. An administrator can allow it with "
                "HEZI_EGRESS_ALLOW_CIDRS.",
                details={"host": parts.hostname, "address": str(ip)},
            )
