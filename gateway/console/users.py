"""Console operators: who they are, their role, scrypt password hashes (SQLite in the data directory);
sessions that expire, and failed logins counted per name so that guessing locks the login for a while."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kernel import jurisdictions
from kernel.errors import InvalidRequest
from gateway.console.roles import Principal, role_names

# scrypt with 16 MiB of memory per hash: slow to guess, quick enough for a login.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, jurisdiction TEXT NOT NULL DEFAULT '', password TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL);
"""


class UserError(InvalidRequest):
    """A user that cannot be added as asked (unknown role, missing jurisdiction, taken name)."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    encode = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                            dklen=len(expected))
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    jurisdiction: str
    disabled: bool

    def principal(self) -> Principal:
        return Principal(self.name, self.role, self.jurisdiction)


class UserStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        path.chmod(0o600)

    def close(self) -> None:
        self.db.close()

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM users").fetchone()[0]

    def add(self, name: str, role: str, password: str, jurisdiction: str = "") -> User:
        if role not in role_names():
            raise UserError(f"unknown role {role!r}; roles are {', '.join(role_names())}")
        if role == "jurisdiction" and jurisdiction not in jurisdictions.names():
            raise UserError(f"a jurisdiction operator needs --jurisdiction, one of {', '.join(jurisdictions.names())}")
        if role != "jurisdiction":
            jurisdiction = ""
        if not name or len(password) < 8:
            raise UserError("a user needs a name and a password of at least 8 characters")
        try:
            self.db.execute("INSERT INTO users VALUES(?,?,?,?,0,?)", (name, role, jurisdiction, hash_password(password), time.time()))
        except sqlite3.IntegrityError:
            raise UserError(f"user {name!r} exists") from None
        return User(name, role, jurisdiction, False)

    def set_disabled(self, name: str, disabled: bool = True) -> bool:
        return self.db.execute("UPDATE users SET disabled=? WHERE name=?", (int(disabled), name)).rowcount == 1

    def set_password(self, name: str, password: str) -> bool:
        return self.db.execute("UPDATE users SET password=? WHERE name=?", (hash_password(password), name)).rowcount == 1

    def is_active(self, name: str) -> bool:
        row = self.db.execute("SELECT disabled FROM users WHERE name=?", (name,)).fetchone()
        return row is not None and not row[0]

    def users(self) -> list[User]:
        rows = self.db.execute("SELECT name, role, jurisdiction, disabled FROM users ORDER BY name")
        return [User(n, r, j, bool(d)) for n, r, j, d in rows]

    def authenticate(self, name: str, password: str) -> User | None:
        row = self.db.execute("SELECT name, role, jurisdiction, disabled, password FROM users WHERE name=?", (name,)).fetchone()
        if row is None:
            password_matches(password, _DUMMY_HASH)  # the same work whether the name exists or not
            return None
        if not password_matches(password, row[4]) or row[3]:
            return None
        return User(row[0], row[1], row[2], bool(row[3]))


_DUMMY_HASH = hash_password("not-a-password")


def ensure_first_operator(store: UserStore, name: str = "admin") -> str | None:
    """On an empty store, a federation operator with a one-time password (returned, to be printed once)."""
    if store.count():
        return None
    password = secrets.token_urlsafe(12)
    store.add(name, "federation", password)
    return password


class LoginThrottle:
    """After `limit` failed logins of one name within `lockout` seconds, that name is locked until they age out."""

    def __init__(self, limit: int, lockout: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.lockout, self.clock = limit, lockout, clock
        self._failures: dict[str, list[float]] = {}

    def _recent(self, name: str) -> list[float]:
        now = self.clock()
        recent = [at for at in self._failures.get(name, []) if now - at < self.lockout]
        self._failures[name] = recent
        return recent

    def locked_for(self, name: str) -> float:
        """Seconds the name stays locked (0: not locked)."""
        recent = self._recent(name)
        if len(recent) < self.limit:
            return 0.0
        return max(0.0, self.lockout - (self.clock() - recent[-self.limit]))

    def failed(self, name: str) -> None:
        self._recent(name).append(self.clock())

    def succeeded(self, name: str) -> None:
        self._failures.pop(name, None)


@dataclass
class Session:
    token: str
    user: User
    csrf: str
    expires_at: float


class Sessions:
    def __init__(self, lifetime: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime, self.clock = lifetime, clock
        self._by_token: dict[str, Session] = {}

    def open(self, user: User) -> Session:
        session = Session(secrets.token_urlsafe(32), user, secrets.token_urlsafe(32), self.clock() + self.lifetime)
        self._by_token[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        session = self._by_token.get(token or "")
        if session is None:
            return None
        if session.expires_at <= self.clock():
            self._by_token.pop(session.token, None)
            return None
        return session

    def close(self, token: str) -> None:
        self._by_token.pop(token, None)

    def close_user(self, name: str) -> None:
        for token in [t for t, s in self._by_token.items() if s.user.name == name]:
            self._by_token.pop(token, None)
