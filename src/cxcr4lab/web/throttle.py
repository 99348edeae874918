"""Login throttling per account and per client address, with exponentially growing lockouts.

The policy (kept in memory, per server process):

* an **account** (the user name as typed, whether it exists or not) that has had
  :data:`ACCOUNT_LIMIT` (5) failed logins, none more than :data:`WINDOW_S` (15 min) after the
  one before, is locked for :data:`BASE_LOCK_S` (1 min); each further failure after a lock ends
  doubles the lock (2, 4, 8 ... min), up to :data:`MAX_LOCK_S` (1 h);
* an **address** (the connection's peer address) likewise after :data:`ADDRESS_LIMIT` (20)
  failures, whatever names it tried;
* while either is locked every login attempt is answered **429** with ``Retry-After`` (seconds),
  and the password is not even checked, so the right password does not get in either;
* a successful login clears the account's failures (not the address's); failures are
  forgotten :data:`WINDOW_S` after the last failure or the end of the last lock, whichever
  is later (so retrying soon after a lock ends doubles the next one);
* attempts in flight count as failures until they are answered, so parallel guesses cannot
  slip past the limit.

The state is per process: with ``uvicorn --workers N`` each worker keeps its own counts (the
limits are then N times higher), and a restart forgets them. At most :data:`MAX_ENTRIES`
accounts and addresses are tracked; the stalest are dropped first.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "ACCOUNT_LIMIT",
    "ADDRESS_LIMIT",
    "BASE_LOCK_S",
    "MAX_ENTRIES",
    "MAX_LOCK_S",
    "WINDOW_S",
    "LoginThrottle",
]

ACCOUNT_LIMIT = 5
"""Failed logins of one account before it is locked."""
ADDRESS_LIMIT = 20
"""Failed logins from one address before it is locked."""
WINDOW_S = 15 * 60.0
"""Failures are counted together while each comes within this time (s) of the one before."""
BASE_LOCK_S = 60.0
"""The first lock (s); each further failure doubles it."""
MAX_LOCK_S = 3600.0
"""The longest lock (s)."""
MAX_ENTRIES = 100_000
"""Accounts plus addresses tracked at most (memory bound)."""


@dataclass
class _Entry:
    failures: int = 0
    in_flight: int = 0
    last_failure: float = -math.inf
    locked_until: float = -math.inf


class LoginThrottle:
    """Counts failed logins per account and per address; see the module for the policy."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()

    def _entry(self, kind: str, key: str, now: float) -> _Entry:
        entry = self._entries.get((kind, key))
        if entry is None:
            if len(self._entries) >= MAX_ENTRIES:
                self._prune(now)
            entry = self._entries[(kind, key)] = _Entry()
        elif now - max(entry.last_failure, entry.locked_until) > WINDOW_S:
            entry.failures = 0
        return entry

    def _prune(self, now: float) -> None:
        stale = [
            k
            for k, e in self._entries.items()
            if e.in_flight == 0 and now - max(e.last_failure, e.locked_until) > WINDOW_S
        ]
        for k in stale:
            del self._entries[k]
        while len(self._entries) >= MAX_ENTRIES:  # still full: drop the oldest entries
            del self._entries[next(iter(self._entries))]

    def begin(self, account: str, address: str) -> int | None:
        """Start a login attempt: None if it may go ahead (then call :meth:`finish`), else
        the seconds to wait (the ``Retry-After``)."""
        now = self._clock()
        keys = (("account", account[:128], ACCOUNT_LIMIT), ("address", address, ADDRESS_LIMIT))
        with self._lock:
            entries = [(self._entry(kind, key, now), limit) for kind, key, limit in keys]
            wait = 0.0
            for entry, limit in entries:
                if now < entry.locked_until:
                    wait = max(wait, entry.locked_until - now)
                elif entry.in_flight and entry.failures + entry.in_flight >= limit:
                    wait = max(wait, 1.0)  # earlier attempts are still being checked
            if wait > 0:
                return max(1, math.ceil(wait))
            for entry, _ in entries:
                entry.in_flight += 1
            return None

    def finish(self, account: str, address: str, *, succeeded: bool | None) -> None:
        """End an attempt begun with :meth:`begin`: ``succeeded`` True (right password), False
        (wrong) or None (not decided, e.g. the database was down: not counted)."""
        now = self._clock()
        keys = (("account", account[:128], ACCOUNT_LIMIT), ("address", address, ADDRESS_LIMIT))
        with self._lock:
            for kind, key, limit in keys:
                entry = self._entries.get((kind, key))
                if entry is None:  # pragma: no cover - pruned while in flight
                    continue
                entry.in_flight = max(0, entry.in_flight - 1)
                if succeeded is None:
                    continue
                if succeeded:
                    if kind == "account":
                        entry.failures = 0
                        entry.locked_until = -math.inf
                    continue
                entry.failures += 1
                entry.last_failure = now
                if entry.failures >= limit:
                    lock = min(MAX_LOCK_S, BASE_LOCK_S * 2.0 ** (entry.failures - limit))
                    entry.locked_until = now + lock

    def locked_for(self, account: str) -> float:
        """Seconds the account stays locked (0 if it is not)."""
        with self._lock:
            entry = self._entries.get(("account", account[:128]))
            return 0.0 if entry is None else max(0.0, entry.locked_until - self._clock())
