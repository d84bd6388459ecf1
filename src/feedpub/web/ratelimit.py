"""Sliding-window rate limits kept in memory, for the subscribe form.

In memory and per process: `feedpub serve`/`run` is one process, and a limit that forgets
on restart costs an attacker a restart they cannot cause. Each limit remembers at most
`max_keys` keys (least recently seen dropped first), so a flood from many addresses cannot
grow it without bound; the global limit is what holds once those are spread thin.
Not thread-safe: each instance belongs to the server's event loop.
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_KEYS = 10_000


class RateLimit:
    """At most `limit` events per key within any `window` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_KEYS) -> None:
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self.events: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Count one event for `key` and say True, or say False (counting nothing) when
        `key` already had `limit` events in the last `window` seconds."""
        now = self.clock()
        times = self.events.pop(key, None) or deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        self.events[key] = times  # now the most recently seen
        if len(times) >= self.limit:
            return False
        times.append(now)
        while len(self.events) > self.max_keys:
            self.events.popitem(last=False)
        return True

    def retry_after(self, key: str) -> int:
        """Whole seconds until `key` may have another event (at least 1)."""
        times = self.events.get(key)
        if not times or len(times) < self.limit:
            return 1
        return max(1, int(times[0] + self.window - self.clock()) + 1)


def client_key(host: str | None) -> str:
    """Who a request comes from, for a per-client limit: the IPv4 address, or the /64 of an
    IPv6 address (one subscriber line gets a whole /64 to pick addresses from)."""
    if not host:
        return "?"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
