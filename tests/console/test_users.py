"""Operators, passwords, sessions and the login throttle: pure, with a hand-driven clock."""

from __future__ import annotations

import sqlite3

import pytest

from gateway.console.sessions import LoginThrottle, Sessions
from gateway.console.users import User, UserError, UserStore, ensure_first_operator, hash_password, password_matches


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_passwords_are_stored_as_salted_scrypt_hashes(tmp_path):
    store = UserStore(tmp_path / "users.sqlite3")
    store.add("li", "federation", "s3cret-pass")
    (stored,) = sqlite3.connect(tmp_path / "users.sqlite3").execute("SELECT password FROM users").fetchone()
    assert stored.startswith("scrypt$16384$8$1$") and "s3cret-pass" not in stored
    assert hash_password("same-password") != hash_password("same-password")  # salted
    assert password_matches("s3cret-pass", stored) and not password_matches("s3cret-pasS", stored)
    assert store.authenticate("li", "s3cret-pass").role == "federation"
    assert store.authenticate("li", "wrong-pass") is None
    assert store.authenticate("nobody", "s3cret-pass") is None


def test_a_disabled_operator_cannot_log_in_and_roles_are_checked(tmp_path):
    store = UserStore(tmp_path / "users.sqlite3")
    store.add("wang", "jurisdiction", "password-1", "tianjin")
    assert store.set_disabled("wang")
    assert store.authenticate("wang", "password-1") is None
    with pytest.raises(UserError, match="needs --jurisdiction"):
        store.add("zhao", "jurisdiction", "password-1")
    with pytest.raises(UserError, match="unknown role"):
        store.add("zhao", "root", "password-1")
    with pytest.raises(UserError, match="exists"):
        store.add("wang", "auditor", "password-1")


def test_the_first_operator_is_made_once_with_a_random_password_it_must_change(tmp_path):
    store = UserStore(tmp_path / "users.sqlite3")
    password = ensure_first_operator(store)
    assert password and len(password) >= 12
    admin = store.authenticate("admin", password)
    assert (admin.role, admin.must_change_password) == ("federation", True)
    assert ensure_first_operator(store) is None
    store.add("li", "auditor", "password-1")
    assert store.authenticate("li", "password-1").must_change_password is False
    assert store.set_password("admin", "a-new-long-password")
    assert store.authenticate("admin", "a-new-long-password").must_change_password is False


def test_a_users_file_from_before_the_password_change_column_is_migrated(tmp_path):
    path = tmp_path / "users.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, jurisdiction TEXT NOT NULL DEFAULT '',"
                " password TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL)")
    old.execute("INSERT INTO users VALUES('li', 'auditor', '', ?, 0, 0)", (hash_password("password-1"),))
    old.commit()
    old.close()
    assert UserStore(path).authenticate("li", "password-1") == User("li", "auditor", "", False, False)


def test_five_failures_lock_a_name_until_they_age_out_and_the_lock_outlives_a_restart(tmp_path):
    clock = Clock()
    store = UserStore(tmp_path / "users.sqlite3")
    throttle = LoginThrottle(store.db, "name", 5, 60.0, clock)
    for _ in range(4):
        throttle.failed("li")
    assert throttle.locked_for("li") == 0
    throttle.failed("li")
    assert throttle.locked_for("li") == pytest.approx(60.0)
    assert throttle.locked_for("wang") == 0
    assert LoginThrottle(store.db, "address", 5, 60.0, clock).locked_for("li") == 0  # names and addresses apart
    store.close()
    restarted = LoginThrottle(UserStore(tmp_path / "users.sqlite3").db, "name", 5, 60.0, clock)
    clock.now += 59
    assert restarted.locked_for("li") == pytest.approx(1.0)
    clock.now += 1.5
    assert restarted.locked_for("li") == 0


def test_sessions_expire_survive_a_restart_and_are_stored_by_hash_only(tmp_path):
    clock = Clock()
    store = UserStore(tmp_path / "users.sqlite3")
    store.add("li", "auditor", "password-1")
    sessions = Sessions(store, 30.0, clock)
    session = sessions.open(store.user("li"))
    assert sessions.get(session.token).user == store.user("li") and session.csrf != session.token
    stored = [row[0] for row in store.db.execute("SELECT token_hash FROM sessions")]
    assert stored and session.token not in stored
    store.close()
    store = UserStore(tmp_path / "users.sqlite3")
    restarted = Sessions(store, 30.0, clock)
    clock.now += 29.9
    assert restarted.get(session.token).csrf == session.csrf
    clock.now += 0.2
    assert restarted.get(session.token) is None
    assert restarted.get("forged") is None and restarted.get(None) is None
