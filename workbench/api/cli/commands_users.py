"""``user add|list|disable|enable|passwd`` and ``member add|remove``: accounts and project membership.

The CLI is the operator's tool (whoever can write the database file): it acts as admin. The first
``user add`` switches the instance from local single-user mode to login mode.
"""

from __future__ import annotations

import getpass
import json
import sys

from workbench import accounts
from workbench.accounts.roles import ROLES
from workbench.errors import ValidationError


def register(sub) -> None:
    user = sub.add_parser("user", help="manage accounts (the first one turns on sign-in)")
    usub = user.add_subparsers(dest="user_command", metavar="ACTION")
    usub.required = True
    add = usub.add_parser("add", help="create an account")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--projects", default="", help="comma-separated projects to make them a member of")
    add.add_argument("--display-name", default="", help="shown in the sidebar (default: the name)")
    _password_option(add)
    add.set_defaults(func=_add)
    listing = usub.add_parser("list", help="list accounts, roles and projects")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)
    for action, helptext in (("disable", "stop an account from signing in (its labels stay)"),
                             ("enable", "let a disabled account sign in again")):
        p = usub.add_parser(action, help=helptext)
        p.add_argument("name")
        p.set_defaults(func=_disable, disabled=action == "disable")
    passwd = usub.add_parser("passwd", help="set a new password (ends the account's sessions)")
    passwd.add_argument("name")
    _password_option(passwd)
    passwd.set_defaults(func=_passwd)

    serving = sub.add_parser("check-serving", help="exit 2 when serving on ADDRESS would expose single-user mode"
                             " (no accounts and not loopback); `make run` calls it")
    serving.add_argument("address")
    serving.set_defaults(func=_check_serving)

    member = sub.add_parser("member", help="add or remove a user from a project")
    msub = member.add_subparsers(dest="member_command", metavar="ACTION")
    msub.required = True
    for action in ("add", "remove"):
        p = msub.add_parser(action, help=f"{action} a project member")
        p.add_argument("project")
        p.add_argument("name")
        p.set_defaults(func=_member, add=action == "add")


def _password_option(parser) -> None:
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin (scripts); default: prompt twice")


def _read_password(args) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise ValidationError("--password-stdin: stdin had no password on its first line")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValidationError("no terminal to prompt for a password; pass it with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise ValidationError("the two passwords differ; nothing was changed")
    return first


def _add(args, store) -> None:
    first = not store.has_accounts()
    accounts.users.check_username(args.name)  # before the prompt: a bad name fails fast
    projects = [p for p in args.projects.split(",") if p.strip()]
    for name in projects:
        store.get_project(name.strip())
    user = accounts.add_user(store, args.name, _read_password(args), args.role, display_name=args.display_name,
                             projects=projects)
    print(f"created {user.role} {user.username!r}" + (f" (member of {', '.join(projects)})" if projects else ""))
    if first:
        print("sign-in is now required: this was the first account (local single-user mode is off)")


def _list(args, store) -> None:
    rows = accounts.list_users(store)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        print(f"no accounts: local single-user mode. Create one with '{accounts.users.CREATE_FIRST}'")
    for r in rows:
        state = "disabled" if r["disabled"] else "active"
        print(f"{r['username']}\t{r['role']}\t{state}\tprojects={','.join(r['projects']) or '-'}")


def _disable(args, store) -> None:
    accounts.disable_user(store, args.name, disabled=args.disabled)
    print(f"{'disabled' if args.disabled else 'enabled'} {args.name!r}")


def _passwd(args, store) -> None:
    accounts.users.get_user(store, args.name)  # before the prompt: an unknown name fails fast
    accounts.set_password(store, args.name, _read_password(args))
    print(f"new password set for {args.name!r}; their open sessions ended")


def _member(args, store) -> None:
    change = accounts.add_member if args.add else accounts.remove_member
    changed = change(store, args.project, args.name)
    verb = ("added" if args.add else "removed") if changed else ("already a member:" if args.add else "not a member:")
    print(f"{verb} {args.name} {'to' if args.add else 'from'} {args.project}" if changed
          else f"{verb} {args.name} in {args.project}; nothing changed")


def _check_serving(args, store) -> None:
    accounts.users.check_serving(store, args.address)
