"""``nora --admin ...``: users, rights and API tokens.

Passwords are never prompted for: give ``--password-stdin`` (one line on stdin), ``--password`` (visible in
the process list) or nothing, in which case a random password is generated and printed once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sqlalchemy.orm import Session

from nora.archive.models import Right, User
from nora.archive.services import accounts, audit, cliops, rights
from nora.archive.services.access import Actor, require_system_admin
from nora.cli.context import Context, NoraParser, as_json, common_options, note, resolve_actor, write
from nora.core.errors import InvalidInput
from nora.core.ids import new_token
from nora.core.settings import Settings

Handler = Callable[[Session, Actor, argparse.Namespace], str]


def build_parser() -> NoraParser:
    common, nested = common_options(), common_options(nested=True)
    p = NoraParser(prog="nora --admin", description="Users, rights and API tokens.", parents=[common])
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=NoraParser)

    def command(name: str, help_text: str, handler: Handler) -> NoraParser:
        parser: NoraParser = sub.add_parser(name, help=help_text, description=help_text, parents=[nested])
        parser.set_defaults(handler=handler)
        return parser

    def password_options(parser: NoraParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--password", metavar="P", help="the password (visible to other local users!)")
        group.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    c = command("adduser", "create a user (a random password is printed unless one is given)", add_user)
    c.add_argument("name", metavar="NAME")
    password_options(c)
    c.add_argument("--sysadmin", action="store_true", help="make the user a system admin")
    c.add_argument("--full-name", default="", help="the user's full name")
    c.add_argument("--email", default="", help="the user's e-mail address")
    command("deluser", "delete a user", delete_user).add_argument("name", metavar="NAME")
    command("users", "list the users (JSON)", list_users)
    c = command("passwd", "set a user's password (a random one is printed unless one is given)", set_password)
    c.add_argument("name", metavar="USER")
    password_options(c)
    c.add_argument(
        "--keep-tokens", action="store_true", help="keep the user's API tokens (their web sessions end regardless)"
    )
    c = command("grant", "grant a right on a project or PACS_<node>, PACSQUERY_<node>, QUEUE_<queue>", grant)
    c.add_argument("name", metavar="USER")
    c.add_argument("scope", metavar="SCOPE")
    c.add_argument("--role", choices=rights.ROLES, default="user", help="user (default) or admin of the project")
    for flag, text in (
        ("readonly", "may not change anything"),
        ("download", "may download files"),
        ("batchtool", "may run batches"),
        ("deanonym", "sees identifying data in anonymised projects"),
    ):
        c.add_argument(f"--{flag}", action="store_true", help=text)
    c = command("revoke", "remove a user's right on SCOPE", revoke)
    c.add_argument("name", metavar="USER")
    c.add_argument("scope", metavar="SCOPE")
    command("rights", "list a user's rights (JSON)", user_rights).add_argument("name", metavar="USER")
    c = command("token", "API tokens: create USER, list USER, revoke ID", token)
    c.add_argument("action", choices=("create", "list", "revoke"))
    c.add_argument("target", metavar="USER|ID")
    c.add_argument("--name", default="", help="create: a name to recognise the token by")
    c.add_argument("--days", type=float, help="create: lifetime in days (default: no expiry)")
    c = command("audit", "the latest entries of the audit log (JSON)", audit_log)
    c.add_argument("--project", default=None, help="only entries of this project")
    c.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    return p


def run(argv: list[str], settings: Settings, user: str | None = None) -> int:
    """Parse and run one admin command in one transaction."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        write(parser.format_help())
        return 0
    with Context.open(settings) as ctx:
        ctx.require_initialised()
        with ctx.transaction() as session:
            output = args.handler(session, resolve_actor(session, settings, args.user or user), args)
    write(output)
    return 0


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """(password, generated)."""
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InvalidInput("--password-stdin: no password on stdin")
        return line, False
    if args.password is not None:
        return args.password, False
    return new_token(12), True


def _user_out(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "is_admin": user.is_admin,
        "disabled": user.disabled,
        "full_name": user.full_name,
        "email": user.email,
    }


def _right_out(username: str, right: Right) -> dict[str, object]:
    return {
        "username": username,
        "scope": right.scope,
        "role": right.role,
        "readonly": right.readonly,
        "download": right.download,
        "batchtool": right.batchtool,
        "deanonym": right.deanonym,
    }


def add_user(session: Session, actor: Actor, args: argparse.Namespace) -> str:
    password, generated = _password(args)
    user = accounts.create_user(
        session, actor, args.name, password, is_admin=args.sysadmin, full_name=args.full_name, email=args.email
    )
    if generated:
        note("the generated password is shown only now")
    return as_json({**_user_out(user), **({"password": password} if generated else {})})


def delete_user(session: Session, actor: Actor, args: argparse.Namespace) -> str:
    accounts.delete_user(session, actor, args.name)
    return as_json({"deleted": args.name})


def list_users(session: Session, actor: Actor, args: argparse.Namespace) -> str:
    return as_json([_user_out(u) for u in accounts.list_users(session, actor)])


def set_password(session: Session, actor: Actor, args: argparse.Namespace) -> str:
    password, generated = _password(args)
    changed = accounts.set_password(session, actor, args.name, password, keep_tokens=args.keep_tokens)
    if generated:
        note("the generated password is shown only now")
    ended = {"sessions_ended": changed.sessions_ended, "tokens_revoked": changed.tokens_revoked}
    return as_json({"username": args.name, **({"password": password} if generated else {}), **ended})


def grant(session: Session, actor: Actor, args: argparse.Namespace) -> str:
    spec = rights.RightSpec(args.role, args.readonly, args.download, args.batchtool, args.deanonym)
    return as_json(_right_out(args.name, rights.grant(session, actor, args.name, args.scope, spec)))


def revoke(session: Session, actor: Actor, args: argparse.Namespace) -> str:
    rights.revoke(session, actor, args.name, args.scope)
    return as_json({"username": args.name, "revoked": args.scope})


def user_rights(session: Session, actor: Actor, args: argparse.Namespace) -> str:
    return as_json([_right_out(args.name, r) for r in rights.rights_of_user(session, actor, args.name)])


def token(session: Session, actor: Actor, args: argparse.Namespace) -> str:
    if args.action == "create":
        created = cliops.issue_token(session, actor, args.target, args.name, args.days)
        note("store the token now: it is shown only once")
        return as_json(
            {"id": created.id, "name": created.name, "token": created.secret, "expires_at": created.expires_at}
        )
    if args.name or args.days is not None:
        raise InvalidInput("--name and --days work only with 'token create'")
    if args.action == "list":
        return as_json(
            [
                {
                    "id": t.id,
                    "name": t.name,
                    "prefix": t.prefix,
                    "created_at": t.created_at,
                    "expires_at": t.expires_at,
                    "revoked_at": t.revoked_at,
                    "last_used_at": t.last_used_at,
                }
                for t in cliops.tokens_of(session, actor, args.target)
            ]
        )
    try:
        token_id = int(args.target)
    except ValueError:
        raise InvalidInput(
            f"'token revoke' needs a token ID (a number from 'token list'), not {args.target!r}"
        ) from None
    accounts.revoke_token(session, actor, token_id)
    return as_json({"revoked": token_id})


def audit_log(session: Session, actor: Actor, args: argparse.Namespace) -> str:
    require_system_admin(actor)
    return as_json(
        [
            {"at": e.at, "username": e.username, "action": e.action, "project": e.project, "target": e.target}
            for e in audit.entries(session, args.project, args.limit)
        ]
    )
