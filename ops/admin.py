"""Operator commands for a deployed stage: set up a clinic (tenant) and its staff accounts.

    python -m ops.admin create-clinic --id demo-dental --name 齿护口腔门诊部 --tz Asia/Shanghai
    python -m ops.admin create-staff --clinic demo-dental --username admin@demo-dental --role admin
    python -m ops.admin disable-staff --clinic demo-dental --username front_desk@demo-dental
    python -m ops.admin set-role --clinic demo-dental --username front_desk@demo-dental --role admin

Settings come from the environment, as for the functions themselves (REVISIT_TABLE, KMS_KEY_ID,
COGNITO_USER_POOL_ID, AWS_DEFAULT_REGION ... see chalicelib/config.py). With --local they come
from the running local stack (.local/state/env.json) instead, and staff accounts are remembered
so that they survive a restart of the local stack.

A tool for operators run from a checkout, like devstack/: it is not part of the Lambda bundle,
and only --local reaches into the development stack.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from chalicelib.auth import STAFF_ROLES
from chalicelib.domain.rules import CONDITIONS


def _use_local_stack() -> None:
    from devstack.environment import use_running_stack

    use_running_stack()


def _remember_local_staff(account: dict) -> None:
    from devstack.layout import Layout, read_json, write_private

    layout = Layout.from_env()
    staff = [s for s in read_json(layout.staff_file, []) if s["username"] != account["username"]]
    write_private(layout.staff_file, staff + [account])


def create_clinic(args) -> dict:
    from chalicelib.services.clinics import create_clinic as create

    conditions = tuple(c.strip() for c in args.conditions.split(",") if c.strip()) if args.conditions else CONDITIONS
    unknown = sorted(set(conditions) - set(CONDITIONS))
    if unknown:
        raise SystemExit(f"unknown conditions: {', '.join(unknown)} (known: {', '.join(CONDITIONS)})")
    item = create(args.id, args.name, args.tz, conditions)
    return {"clinic_id": args.id, "name": item.name, "tz": item.tz, "conditions": list(item.conditions)}


def _password(args) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif args.password:
        password = args.password
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise SystemExit("the passwords differ")
    if not password:
        raise SystemExit("a password is required")
    return password


def create_staff(args) -> dict:
    from chalicelib.config import settings
    from chalicelib.services import staff_accounts
    from chalicelib.store import clinics

    pool_id = settings().cognito_user_pool_id
    if not pool_id:
        raise SystemExit("COGNITO_USER_POOL_ID is not set")
    clinics.get(args.clinic)  # the clinic must exist before anyone works for it
    password = _password(args)
    from chalicelib.aws import client

    cognito = client("cognito-idp")
    try:
        staff_accounts.create(args.username, password, args.clinic, args.role, pool_id=pool_id)
    except cognito.exceptions.UsernameExistsException:
        raise
    except Exception:
        # The user is created before its password is set: do not leave a half-made account behind
        # (a rejected password would otherwise block the retry with UsernameExistsException).
        try:
            cognito.admin_delete_user(UserPoolId=pool_id, Username=args.username)
        except cognito.exceptions.UserNotFoundException:
            pass
        raise
    if args.local:
        _remember_local_staff({"username": args.username, "password": password, "clinic_id": args.clinic,
                               "role": args.role})
    return {"username": args.username, "clinic_id": args.clinic, "role": args.role, "user_pool_id": pool_id}


def disable_staff(args) -> dict:
    from chalicelib.services import staff_accounts

    return staff_accounts.disable(args.clinic, args.username, by="operator")


def enable_staff(args) -> dict:
    from chalicelib.services import staff_accounts

    return staff_accounts.enable(args.clinic, args.username, by="operator")


def set_staff_role(args) -> dict:
    from chalicelib.services import staff_accounts

    return staff_accounts.set_role(args.clinic, args.username, args.role, by="operator")


def record_staff(args) -> dict:
    from chalicelib.services import staff_accounts

    return {"clinic_id": args.clinic, "recorded": staff_accounts.record_existing(args.clinic, by="operator")}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ops.admin", description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true", help="act on the running local stack")
    commands = parser.add_subparsers(dest="command", required=True)

    clinic = commands.add_parser("create-clinic", help="create a clinic with its data key, rewards and recall rules")
    clinic.add_argument("--id", required=True, help="2-40 lower-case letters, digits and dashes")
    clinic.add_argument("--name", required=True)
    clinic.add_argument("--tz", default="Asia/Shanghai", help="IANA time zone (default Asia/Shanghai)")
    clinic.add_argument("--conditions", help=f"comma-separated subset of {','.join(CONDITIONS)} (default all)")
    clinic.set_defaults(func=create_clinic)

    staff = commands.add_parser("create-staff", help="create a staff account in the user pool")
    staff.add_argument("--clinic", required=True)
    staff.add_argument("--username", required=True)
    staff.add_argument("--role", choices=STAFF_ROLES, default="front_desk")
    secret = staff.add_mutually_exclusive_group()
    secret.add_argument("--password", help="avoid on shared machines: it lands in the shell history")
    secret.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    staff.set_defaults(func=create_staff)

    for name, func, text in (("disable-staff", disable_staff, "disable an account; its tokens stop at once"),
                             ("enable-staff", enable_staff, "enable a disabled account again")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--clinic", required=True)
        command.add_argument("--username", required=True)
        command.set_defaults(func=func)
    role = commands.add_parser("set-role", help="give an account another role; its current tokens stop at once")
    role.add_argument("--clinic", required=True)
    role.add_argument("--username", required=True)
    role.add_argument("--role", choices=STAFF_ROLES, required=True)
    role.set_defaults(func=set_staff_role)
    adopt = commands.add_parser("record-staff", help="write the app's record of the clinic's existing accounts "
                                                     "(a stage deployed before account records)")
    adopt.add_argument("--clinic", required=True)
    adopt.set_defaults(func=record_staff)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.local:
        _use_local_stack()
    from chalicelib.errors import AppError

    try:
        result = args.func(args)
    except AppError as err:
        print(f"{err.code}: {err.message}", file=sys.stderr)
        return 1
    except Exception as exc:  # boto errors: missing credentials, unknown pool, existing user ...
        if os.environ.get("REVISIT_DEBUG"):
            raise
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
