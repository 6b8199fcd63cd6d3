"""`jjj console`: the operators' console alone against a running federation, and its operators.

  jjj console                                     serve it (reads the gateway's files in the data directory)
  jjj console users add NAME --role R [--jurisdiction J] [--password P]   (asked for when not given)
  jjj console users disable NAME | enable NAME | passwd NAME | list
"""

from __future__ import annotations

import asyncio
import getpass
import sys

from kernel.config import Settings

ROLES = ("federation", "jurisdiction", "jurisdiction_pii", "auditor")  # schemas/console/roles.yaml


def add_parser(commands) -> None:
    console = commands.add_parser("console", help="the operators' monitoring console; its operators")
    console.add_argument("--port", type=int, default=None)
    sub = console.add_subparsers(dest="console_command")
    users = sub.add_parser("users", help="console operators")
    users.add_argument("action", choices=["add", "disable", "enable", "passwd", "list"])
    users.add_argument("name", nargs="?", default="")
    users.add_argument("--role", choices=ROLES, default="jurisdiction")
    users.add_argument("--jurisdiction", default="")
    users.add_argument("--password", default=None, help="else asked for (or read from stdin when not a TTY)")


def _password(given: str | None) -> str:
    if given is not None:
        return given
    if sys.stdin.isatty():
        return getpass.getpass("password: ")
    return sys.stdin.readline().rstrip("\n")


def first_operator(settings: Settings) -> str | None:
    """`jjj up` on a fresh data directory: the first federation operator's password (None: there are operators)."""
    from gateway.console.users import UserStore, ensure_first_operator

    store = UserStore(settings.console_users_path())
    try:
        return ensure_first_operator(store)
    finally:
        store.close()


def run(settings: Settings, args) -> int:
    if args.console_command == "users":
        return users(settings, args)
    from kernel import logs
    from kernel.rpc.server import serve_until_signalled
    from gateway.console.app import start_console

    logs.configure(settings.log_format, settings.log_level)

    async def start():
        running = await start_console(settings, projection_path=settings.data_dir / "gateway" / "projection.sqlite3",
                                      gateway_port=settings.gateway_port, port=args.port)
        print(f"jjj console: {running.url}", file=sys.stderr, flush=True)
        return running

    asyncio.run(serve_until_signalled(start, heap=settings.heap))
    return 0


def users(settings: Settings, args) -> int:
    from gateway.console.users import UserError, UserStore

    store = UserStore(settings.console_users_path())
    try:
        if args.action == "list":
            for user in store.users():
                state = "disabled" if user.disabled else "active"
                print(f"{user.name}\t{user.role}\t{user.jurisdiction or '-'}\t{state}")
            return 0
        if not args.name:
            print("jjj console users: a NAME is required", file=sys.stderr)
            return 2
        if args.action == "add":
            try:
                store.add(args.name, args.role, _password(args.password), args.jurisdiction)
            except UserError as error:
                print(f"jjj console users add: {error}", file=sys.stderr)
                return 2
            print(f"added {args.name} ({args.role}{' ' + args.jurisdiction if args.jurisdiction else ''})")
            return 0
        if args.action == "passwd":
            changed = store.set_password(args.name, _password(args.password))
        else:
            changed = store.set_disabled(args.name, args.action == "disable")
        if not changed:
            print(f"jjj console users: no user {args.name}", file=sys.stderr)
            return 1
        print(f"{args.name}: {args.action} done")
        return 0
    finally:
        store.close()


def banner_lines(settings: Settings, first_password: str | None) -> list[str]:
    if not settings.console.enabled:
        return []
    lines = [f"  console   http://{settings.host}:{settings.console.port}/  (operators' monitoring console)"]
    if first_password:
        lines.append(f"            first login: admin / {first_password}  (shown once; to be changed at the first login)")
    return lines
