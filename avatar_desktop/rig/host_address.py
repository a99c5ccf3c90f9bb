"""The address the demo rig binds on a user's desktop: the machine's own non-loopback IPv4.

libwebrtc gathers no loopback candidates, so the rig cannot live on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket

import psutil


class NoUsableAddress(RuntimeError):
    pass


def own_address() -> str:
    """A non-loopback IPv4 address of this machine (the hostname's, the default route's, then
    any interface's); no packet is sent to find it."""
    candidates: list[str] = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            candidates.append(str(info[4][0]))
    except socket.gaierror:
        pass
    # Connecting a UDP socket only asks the kernel for a route; nothing leaves the machine.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            candidates.append(str(probe.getsockname()[0]))
        except OSError:
            pass
    candidates += _interface_addresses()
    for address in candidates:
        ip = ipaddress.ip_address(address)
        if not ip.is_loopback and not ip.is_unspecified and not ip.is_link_local:
            return address
    raise NoUsableAddress(
        "The offline demo needs a network address other than loopback (WebRTC does not use "
        "127.0.0.1), and this machine has none. Connect to any network, even without internet."
    )


def _interface_addresses() -> list[str]:
    """IPv4 addresses of the interfaces that are up: a machine with a LAN address and no
    gateway has no default route, but its address serves the demo all the same."""
    try:
        stats = psutil.net_if_stats()
        addresses = psutil.net_if_addrs()
    except OSError:
        return []
    found = []
    for name, entries in addresses.items():
        if name in stats and not stats[name].isup:
            continue
        found += [e.address for e in entries if e.family == socket.AF_INET]
    return found
