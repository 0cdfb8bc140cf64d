"""Throttling of failed logins, per account and per client address.

An account gets ``free`` wrong passwords in a row; each further failure locks it for a delay that doubles
(1 s, 2 s, 4 s, ... up to ``max_lock_s``) until a login succeeds or the account has had no failure for
``forget_s``. A client address gets ``address_limit`` failures (any accounts) in a sliding window of
``window_s``; beyond that it is locked until the oldest failure leaves the window. A locked attempt is
refused before its password is checked, so it costs no argon2 verification.

The state lives in memory of the one server process (the app factory holds one :class:`LoginThrottle`);
it is bounded (``max_entries`` accounts and addresses) and lost at a restart.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Account:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


@dataclass(frozen=True)
class Lock:
    """A lock that a failure has just started: what to write to the audit log."""

    scope: str  # "account" or "address"
    seconds: float


@dataclass
class LoginThrottle:
    """Failed-login bookkeeping; ``clock`` is monotonic seconds (injectable for tests)."""

    free: int = 5
    max_lock_s: float = 900.0
    forget_s: float = 3600.0
    address_limit: int = 50
    window_s: float = 900.0
    max_entries: int = 100_000
    clock: Callable[[], float] = time.monotonic
    _accounts: dict[str, _Account] = field(default_factory=dict, repr=False)
    _addresses: dict[str, deque[float]] = field(default_factory=dict, repr=False)

    def wait(self, username: str, address: str) -> float:
        """Seconds until an attempt for ``username`` from ``address`` is allowed (0: allowed now)."""
        now = self.clock()
        account = self._account(username, now)
        waits = [account.locked_until - now if account else 0.0]
        failures = self._addresses.get(address)
        if failures is not None and len(failures) >= self.address_limit:
            waits.append(failures[0] + self.window_s - now)
        return max(0.0, *waits)

    def failed(self, username: str, address: str) -> list[Lock]:
        """Count a wrong password; returns the locks this failure starts."""
        now = self.clock()
        self._prune(now)
        locks = []
        account = self._account(username, now) or self._accounts.setdefault(username, _Account())
        account.failures += 1
        account.last = now
        if account.failures >= self.free:
            delay = min(self.max_lock_s, 2.0 ** (account.failures - self.free))
            account.locked_until = now + delay
            locks.append(Lock("account", delay))
        failures = self._addresses.setdefault(address, deque(maxlen=self.address_limit))
        while failures and failures[0] + self.window_s <= now:
            failures.popleft()
        failures.append(now)
        if len(failures) >= self.address_limit:
            locks.append(Lock("address", failures[0] + self.window_s - now))
        return locks

    def succeeded(self, username: str) -> None:
        """A right password ends the account's run of failures (the address's window stays)."""
        self._accounts.pop(username, None)

    def _account(self, username: str, now: float) -> _Account | None:
        account = self._accounts.get(username)
        if account is not None and now - account.last > self.forget_s:
            del self._accounts[username]
            return None
        return account

    def _prune(self, now: float) -> None:
        """Keep the tables bounded: drop forgotten entries, then the oldest ones."""
        if len(self._accounts) >= self.max_entries:
            for name in [n for n, a in self._accounts.items() if now - a.last > self.forget_s]:
                del self._accounts[name]
            if len(self._accounts) >= self.max_entries:
                for name in sorted(self._accounts, key=lambda n: self._accounts[n].last)[: self.max_entries // 10]:
                    del self._accounts[name]
        if len(self._addresses) >= self.max_entries:
            for addr in [a for a, f in self._addresses.items() if not f or f[-1] + self.window_s <= now]:
                del self._addresses[addr]
            if len(self._addresses) >= self.max_entries:
                for addr in sorted(self._addresses, key=lambda a: self._addresses[a][-1])[: self.max_entries // 10]:
                    del self._addresses[addr]
