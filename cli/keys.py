"""`jjj keys`: the signing keys of the local federation.

  jjj keys init                 a key per member and the federation, where missing
  jjj keys rotate OWNER [--overlap-hours H]   a new key; the old one stays valid H hours
  jjj keys list                 the registry: key id, owner, validity
"""

from __future__ import annotations

import sys
from datetime import timedelta

from kernel.config import Settings
from kernel.security.keys import KeyRegistry, init_keys, owners, registry_path, rotate_key


def add_parser(commands) -> None:
    keys = commands.add_parser("keys", help="signing keys: init, rotate, list")
    actions = keys.add_subparsers(dest="action", required=True)
    actions.add_parser("init", help="create the missing keys under <data_dir>/keys")
    rotate = actions.add_parser("rotate", help="give an owner a new key, the old one valid for an overlap")
    rotate.add_argument("owner", choices=owners())
    rotate.add_argument("--overlap-hours", type=float, default=7 * 24.0)
    actions.add_parser("list", help="the key registry")


def run(settings: Settings, args) -> int:
    keys_dir = settings.keys_dir()
    if args.action == "init":
        created = init_keys(keys_dir)
        print(f"keys in {keys_dir}: " + (f"created for {', '.join(created)}" if created else "all present"))
        return 0
    if not registry_path(keys_dir).is_file():
        print(f"jjj keys: no registry in {keys_dir}: run `jjj keys init`", file=sys.stderr)
        return 1
    if args.action == "rotate":
        signer = rotate_key(keys_dir, args.owner, overlap=timedelta(hours=args.overlap_hours))
        print(f"{args.owner}: new key {signer.key_id}; older keys valid {args.overlap_hours:g} more hours."
              " Restart its process to sign with the new key.")
        return 0
    registry = KeyRegistry.from_json(registry_path(keys_dir).read_text())
    for entry in registry.entries:
        until = entry.valid_until.isoformat() if entry.valid_until else "-"
        print(f"{entry.key_id}  {entry.owner:<10}  from {entry.valid_from.isoformat()}  until {until}")
    return 0
