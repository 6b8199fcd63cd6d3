"""Logging in and out, who is asking, CSRF on every action, and the security headers of every answer.

A session is a random token in an HttpOnly, SameSite=Strict cookie; each session has its
own CSRF token, which the page sends back in the X-CSRF-Token header of every request
that changes something (compared in constant time). Logins from another origin are
refused; failed logins are counted per name and per client address (sessions.LoginThrottle).
An operator whose password must change (the first one, printed by `jjj up`) may only change
it (POST /api/password), ask who it is, or log out: everything else answers 403
`password_change_required`.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.console.roles import Principal
from gateway.console.sessions import LoginThrottle, Session, Sessions
from gateway.console.users import MIN_NEW_PASSWORD, UserStore

log = structlog.get_logger(__name__)
COOKIE = "jjj_console"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD")
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP answer; API answers are never cached."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith("/api/")

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if is_api:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def error(status: int, code: str, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


def same_origin(request: Request) -> bool:
    """A browser says where a request comes from: it must be this console (absent: not a browser)."""
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    return origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


def client_address(request: Request) -> str:
    """The peer's address as the socket says (the console listens on loopback; no forwarded header is trusted)."""
    return request.client.host if request.client else "unknown"


class Authenticator:
    def __init__(self, users: UserStore, sessions: Sessions, names: LoginThrottle, addresses: LoginThrottle, *,
                 secure_cookies: bool) -> None:
        self.users, self.sessions, self.secure_cookies = users, sessions, secure_cookies
        self.names, self.addresses = names, addresses

    def session_of(self, request: Request) -> Session | None:
        """The caller's live session; an operator disabled meanwhile (`jjj console users disable`) has none."""
        session = self.sessions.get(request.cookies.get(COOKIE))
        if session is not None and not self.users.is_active(session.user.name):
            self.sessions.close(session.token)
            return None
        return session

    def _locked(self, name: str, address: str) -> Response | None:
        locked = max(self.names.locked_for(name), self.addresses.locked_for(address))
        if locked:
            return error(429, "locked", "too many failed logins: locked for a while", retry_after=round(locked))
        return None

    def _failed(self, name: str, address: str) -> None:
        self.names.failed(name)
        self.addresses.failed(address)
        log.warning("console_login_failed", operator=name, address=address)

    def _opened(self, session: Session) -> JSONResponse:
        response = JSONResponse(_who(session))
        response.set_cookie(COOKIE, session.token, max_age=int(self.sessions.lifetime), httponly=True, samesite="strict",
                            secure=self.secure_cookies, path="/")
        return response

    async def login(self, request: Request) -> Response:
        if not same_origin(request):
            return error(403, "cross_origin", "login from another origin refused")
        try:
            body = await request.json()
            name, password = str(body["name"]), str(body["password"])
        except Exception:
            return error(400, "bad_request", "name and password are required")
        address = client_address(request)
        locked = self._locked(name, address)
        if locked is not None:
            return locked
        user = self.users.authenticate(name, password)
        if user is None:
            self._failed(name, address)
            return self._locked(name, address) or error(401, "bad_credentials", "wrong name or password")
        self.names.succeeded(name)
        session = self.sessions.open(user)
        log.info("console_login", operator=name, role=user.role, must_change_password=user.must_change_password)
        return self._opened(session)

    async def change_password(self, request: Request) -> Response:
        """The operator's own password: the current one again, and a new one (a fresh session replaces all its others)."""
        session = self.session_of(request)
        if session is None:
            return error(401, "login_required", "log in first")
        try:
            body = await request.json()
            current, new = str(body["current"]), str(body["new"])
        except Exception:
            return error(400, "bad_request", "current and new passwords are required")
        name, address = session.user.name, client_address(request)
        locked = self._locked(name, address)
        if locked is not None:
            return locked
        if self.users.authenticate(name, current) is None:
            self._failed(name, address)
            return self._locked(name, address) or error(403, "bad_credentials", "the current password is wrong")
        if len(new) < MIN_NEW_PASSWORD or new == current or new.lower() == name.lower():
            return error(400, "weak_password", f"a new password of at least {MIN_NEW_PASSWORD} characters, not the current one")
        self.users.set_password(name, new)
        self.sessions.close_user(name)
        log.info("console_password_changed", operator=name)
        return self._opened(self.sessions.open(self.users.user(name)))

    async def logout(self, request: Request) -> Response:
        session = self.session_of(request)
        if session is not None:
            self.sessions.close(session.token)
        response = JSONResponse({"ok": True})
        response.delete_cookie(COOKIE, path="/")
        return response

    async def whoami(self, request: Request) -> Response:
        session = self.session_of(request)
        if session is None:
            return error(401, "login_required", "log in first")
        return JSONResponse(_who(session))


def _who(session: Session) -> dict:
    return {"user": session.user.principal().as_dict(), "csrf": session.csrf,
            "must_change_password": session.user.must_change_password}


Handler = Callable[[Request, Principal], Awaitable[Response]]


def guarded(auth_of: Callable[[Request], Authenticator], *, act: bool = False, before_password_change: bool = False):
    """The handler gets the caller's Principal; no session: 401; a change without its CSRF token: 403;
    a password still to be changed: 403 (unless `before_password_change`); an action by a role that reads only: 403."""

    def wrap(handler: Handler):
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            auth = auth_of(request)
            session = auth.session_of(request)
            if session is None:
                return error(401, "login_required", "log in first")
            if request.method not in SAFE_METHODS:
                token = request.headers.get(CSRF_HEADER, "")
                if not same_origin(request) or not hmac.compare_digest(token.encode(), session.csrf.encode()):
                    return error(403, "csrf", "missing or wrong CSRF token")
            if session.user.must_change_password and not before_password_change:
                return error(403, "password_change_required", "choose a new password first (POST /api/password)")
            principal = session.user.principal()
            if act and not principal.may_act:
                log.warning("console_action_refused", operator=principal.name, role=principal.role, path=request.url.path)
                return error(403, "read_only", f"the {principal.role} role reads but does not act")
            return await handler(request, principal)

        return endpoint

    return wrap
