"""Console sessions and the login throttle, kept in the operators' SQLite file (users.sqlite3), so that
both survive a gateway restart: an operator stays logged in, and a lock stays on.

A session is stored by the SHA-256 of its token, never the token itself: whoever reads the file cannot
take over a session. Times are wall-clock seconds (they must mean the same after a restart).

Failed logins are counted per name and per client address: one address guessing many names is locked
as well as one name guessed from many places. A good password clears its name's count, not its
address's (one valid account must not open the way to guessing the others).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.console.users import User, UserStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, csrf TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_name ON sessions(name);
CREATE TABLE IF NOT EXISTS login_failures (subject TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_subject ON login_failures(subject, at);
"""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Session:
    token: str
    user: User
    csrf: str
    expires_at: float


class Sessions:
    def __init__(self, users: UserStore, lifetime: float, clock: Callable[[], float] = time.time) -> None:
        self.users, self.lifetime, self.clock = users, lifetime, clock
        self.db: sqlite3.Connection = users.db
        self.db.executescript(SCHEMA)

    def open(self, user: User) -> Session:
        now = self.clock()
        self.db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
        session = Session(secrets.token_urlsafe(32), user, secrets.token_urlsafe(32), now + self.lifetime)
        self.db.execute("INSERT INTO sessions VALUES(?,?,?,?)", (_hash(session.token), user.name, session.csrf, session.expires_at))
        return session

    def get(self, token: str | None) -> Session | None:
        """The live session of a token, with its operator as stored now (None: unknown, expired or operator gone)."""
        if not token:
            return None
        row = self.db.execute("SELECT name, csrf, expires_at FROM sessions WHERE token_hash=?", (_hash(token),)).fetchone()
        if row is None:
            return None
        name, csrf, expires_at = row
        user = self.users.user(name)
        if expires_at <= self.clock() or user is None:
            self.close(token)
            return None
        return Session(token, user, csrf, expires_at)

    def close(self, token: str) -> None:
        self.db.execute("DELETE FROM sessions WHERE token_hash=?", (_hash(token),))

    def close_user(self, name: str) -> None:
        self.db.execute("DELETE FROM sessions WHERE name=?", (name,))


class LoginThrottle:
    """After `limit` failed logins of one subject (`kind` name or address) within `lockout` seconds,
    it is locked until they age out."""

    def __init__(self, db: sqlite3.Connection, kind: str, limit: int, lockout: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.db, self.kind, self.limit, self.lockout, self.clock = db, kind, limit, lockout, clock
        self.db.executescript(SCHEMA)

    def _recent(self, key: str) -> list[float]:
        now = self.clock()
        subject = f"{self.kind}:{key}"
        self.db.execute("DELETE FROM login_failures WHERE subject=? AND at <= ?", (subject, now - self.lockout))
        return [at for (at,) in self.db.execute("SELECT at FROM login_failures WHERE subject=? ORDER BY at", (subject,))]

    def locked_for(self, key: str) -> float:
        """Seconds the subject stays locked (0: not locked)."""
        recent = self._recent(key)
        if len(recent) < self.limit:
            return 0.0
        return max(0.0, self.lockout - (self.clock() - recent[-self.limit]))

    def failed(self, key: str) -> None:
        self.db.execute("INSERT INTO login_failures VALUES(?, ?)", (f"{self.kind}:{key}", self.clock()))

    def succeeded(self, key: str) -> None:
        self.db.execute("DELETE FROM login_failures WHERE subject=?", (f"{self.kind}:{key}",))
