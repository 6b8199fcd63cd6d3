"""Console operators: who they are, their role, scrypt password hashes (SQLite in the data directory), and
whether they must choose a new password before doing anything else (the first operator, whose password
`jjj up` printed). Sessions and the login throttle live in the same file (gateway/console/sessions.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from kernel import jurisdictions
from kernel.errors import InvalidRequest
from gateway.console.roles import Principal, role_names, scoped_to_a_jurisdiction

# scrypt with 16 MiB of memory per hash: slow to guess, quick enough for a login.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, jurisdiction TEXT NOT NULL DEFAULT '', password TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL, must_change INTEGER NOT NULL DEFAULT 0);
"""
MIN_NEW_PASSWORD = 12


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
    must_change_password: bool = False

    def principal(self) -> Principal:
        return Principal(self.name, self.role, self.jurisdiction)


class UserStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(users)")}
        if "must_change" not in columns:  # a file made before the column
            self.db.execute("ALTER TABLE users ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0")
        path.chmod(0o600)

    def close(self) -> None:
        self.db.close()

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM users").fetchone()[0]

    def add(self, name: str, role: str, password: str, jurisdiction: str = "", *, must_change: bool = False) -> User:
        if role not in role_names():
            raise UserError(f"unknown role {role!r}; roles are {', '.join(role_names())}")
        if scoped_to_a_jurisdiction(role) and jurisdiction not in jurisdictions.names():
            raise UserError(f"a {role} operator needs --jurisdiction, one of {', '.join(jurisdictions.names())}")
        if not scoped_to_a_jurisdiction(role):
            jurisdiction = ""
        if not name or len(password) < 8:
            raise UserError("a user needs a name and a password of at least 8 characters")
        try:
            self.db.execute("INSERT INTO users(name, role, jurisdiction, password, disabled, created_at, must_change)"
                            " VALUES(?,?,?,?,0,?,?)", (name, role, jurisdiction, hash_password(password), time.time(), int(must_change)))
        except sqlite3.IntegrityError:
            raise UserError(f"user {name!r} exists") from None
        return User(name, role, jurisdiction, False, must_change)

    def set_disabled(self, name: str, disabled: bool = True) -> bool:
        return self.db.execute("UPDATE users SET disabled=? WHERE name=?", (int(disabled), name)).rowcount == 1

    def set_password(self, name: str, password: str) -> bool:
        return self.db.execute("UPDATE users SET password=?, must_change=0 WHERE name=?",
                               (hash_password(password), name)).rowcount == 1

    def user(self, name: str) -> User | None:
        row = self.db.execute("SELECT name, role, jurisdiction, disabled, must_change FROM users WHERE name=?", (name,)).fetchone()
        return User(row[0], row[1], row[2], bool(row[3]), bool(row[4])) if row else None

    def is_active(self, name: str) -> bool:
        row = self.db.execute("SELECT disabled FROM users WHERE name=?", (name,)).fetchone()
        return row is not None and not row[0]

    def users(self) -> list[User]:
        rows = self.db.execute("SELECT name, role, jurisdiction, disabled FROM users ORDER BY name")
        return [User(n, r, j, bool(d)) for n, r, j, d in rows]

    def authenticate(self, name: str, password: str) -> User | None:
        row = self.db.execute("SELECT name, role, jurisdiction, disabled, password, must_change FROM users WHERE name=?",
                              (name,)).fetchone()
        if row is None:
            password_matches(password, _DUMMY_HASH)  # the same work whether the name exists or not
            return None
        if not password_matches(password, row[4]) or row[3]:
            return None
        return User(row[0], row[1], row[2], bool(row[3]), bool(row[5]))


_DUMMY_HASH = hash_password("not-a-password")


def ensure_first_operator(store: UserStore, name: str = "admin") -> str | None:
    """On an empty store, a federation operator with a one-time password (returned, to be printed once),
    to be changed at its first login."""
    if store.count():
        return None
    password = secrets.token_urlsafe(12)
    store.add(name, "federation", password, must_change=True)
    return password
