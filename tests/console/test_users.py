"""Operators, passwords, sessions and the login throttle: pure, with a hand-driven clock."""

from __future__ import annotations

import sqlite3

import pytest

from gateway.console.users import LoginThrottle, Sessions, UserError, UserStore, ensure_first_operator, hash_password, password_matches


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


def test_the_first_operator_is_made_once_with_a_random_password(tmp_path):
    store = UserStore(tmp_path / "users.sqlite3")
    password = ensure_first_operator(store)
    assert password and len(password) >= 12
    assert store.authenticate("admin", password).role == "federation"
    assert ensure_first_operator(store) is None


def test_five_failures_lock_a_name_until_they_age_out():
    clock = Clock()
    throttle = LoginThrottle(5, 60.0, clock)
    for _ in range(4):
        throttle.failed("li")
    assert throttle.locked_for("li") == 0
    throttle.failed("li")
    assert throttle.locked_for("li") == pytest.approx(60.0)
    assert throttle.locked_for("wang") == 0
    clock.now += 59
    assert throttle.locked_for("li") == pytest.approx(1.0)
    clock.now += 1.5
    assert throttle.locked_for("li") == 0


def test_sessions_expire():
    clock = Clock()
    sessions = Sessions(30.0, clock)
    from gateway.console.users import User

    session = sessions.open(User("li", "auditor", "", False))
    assert sessions.get(session.token) is session and session.csrf != session.token
    clock.now += 29.9
    assert sessions.get(session.token) is session
    clock.now += 0.2
    assert sessions.get(session.token) is None
    assert sessions.get("forged") is None
