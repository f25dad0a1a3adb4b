"""Staff accounts: created, disabled, enabled and given a role in the identity provider (the
Cognito user pool) and in the account record that every staff request is checked against
(services.sessions.check_staff). Disabling or changing a role ends the account's tokens at once,
although the identity provider's own tokens live on until they expire.

On a stage whose staff sign in through WeCom (services.wecom) there is no user pool: an account
is its record alone, its user name is the member's WeCom UserID, and it is linked to that member
(`link_wecom`), so disabling and re-roling work on the record only.
"""

from __future__ import annotations

import re
import secrets

from chalicelib.auth import ACCOUNT_ROLES, OPERATOR_ROLE, PLATFORM_CLINIC, STAFF_ROLES, staff_role
from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.domain.clock import clock, iso
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.observability import logger
from chalicelib.store import sessions as store

ROLES = ACCOUNT_ROLES
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{2,63}")


def _pool() -> str:
    pool_id = settings().cognito_user_pool_id
    if not pool_id:
        raise BadRequest("no user pool is configured", code="no_user_pool")
    return pool_id


def _in_pool() -> bool:
    """Whether this stage's staff accounts live in a Cognito user pool (else WeCom: records only)."""
    return settings().staff_identity == "cognito"


def _user(username: str) -> dict:
    cognito = client("cognito-idp")
    try:
        user = cognito.admin_get_user(UserPoolId=_pool(), Username=username)
    except cognito.exceptions.UserNotFoundException as exc:
        raise NotFound("no such staff account", code="account_not_found", field="username") from exc
    attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
    return {"sub": attributes["sub"], "clinic_id": attributes.get("custom:clinic_id")}


def _now() -> int:
    return int(clock.now().timestamp())


def _check_role(clinic_id: str, role: str) -> None:
    """Clinic accounts take a clinic role; the platform's accounts are operators."""
    allowed = (OPERATOR_ROLE,) if clinic_id == PLATFORM_CLINIC else STAFF_ROLES
    if role not in allowed:
        raise BadRequest(f"role must be one of {', '.join(allowed)}", code="invalid_role", field="role")


def create(username: str, password: str | None, clinic_id: str, role: str, by: str | None = None,
           pool_id: str | None = None) -> dict:
    """A new account in the user pool (clinic attribute, group) and its record. With a password it is
    permanent (the command line and the demo); without one, a temporary password is made and answered
    once, and the first sign-in must choose a new one (an admin inviting a colleague in the site)."""
    _check_role(clinic_id, role)
    if not USERNAME.fullmatch(username or ""):
        raise BadRequest("username: 3-64 letters, digits and . _ @ + -", code="invalid_username", field="username")
    if not _in_pool() and pool_id is None:
        return create_wecom(username, clinic_id, role, by)
    pool_id = pool_id or _pool()
    cognito = client("cognito-idp")
    temporary = None if password else _temporary_password()
    try:
        created = cognito.admin_create_user(
            UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "custom:clinic_id", "Value": clinic_id}],
            **({"TemporaryPassword": temporary} if temporary else {}),
        )
    except cognito.exceptions.UsernameExistsException as exc:
        raise Conflict("this username is taken", code="username_taken", field="username") from exc
    sub = next(a["Value"] for a in created["User"]["Attributes"] if a["Name"] == "sub")
    if password:
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=role)
    store.put_staff_account(clinic_id, sub, username=username, role=role, status="active", tokens_valid_after=0,
                            at=iso(clock.now()), by=by)
    answer = {"username": username, "clinic_id": clinic_id, "role": role, "status": "active"}
    if temporary:
        answer["temporary_password"] = temporary
    return answer


def _temporary_password() -> str:
    """Meets the pool's policy (10+ characters, upper, lower, digits) and is easy to read out."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    while True:
        word = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isupper() for c in word) and any(c.islower() for c in word) and any(c.isdigit() for c in word):
            return word


def invite(clinic_id: str, username: str, role: str, by: str) -> dict:
    """An admin adds a colleague: the account and a temporary password to hand over."""
    from chalicelib.services import audit

    made = create(username, None, clinic_id, role, by=by)
    audit.record(None, audit.STAFF_INVITE, clinic_id=clinic_id, actor=by, detail={"username": username, "role": role})
    return made


def listing(clinic_id: str) -> list[dict]:
    return [{"username": a.username, "role": a.role, "status": a.status, "created_at": a.created_at,
             "updated_at": a.updated_at, "updated_by": a.updated_by} for a in store.staff_accounts(clinic_id)]


def _guard(clinic_id: str, username: str, account, by: str | None) -> None:
    """Nobody locks a clinic out: an admin changes or disables others, never their own account, and
    the clinic's last active admin stays an active admin."""
    if by and by == username:
        raise Conflict("you cannot change or disable your own account", code="own_account", field="username")
    if account.role != "admin":
        return
    admins = [a for a in store.staff_accounts(clinic_id) if a.role == "admin" and a.status == "active"]
    if [a.username for a in admins] == [username]:
        raise Conflict("the clinic's last active admin stays", code="last_admin", field="username")


def create_wecom(userid: str, clinic_id: str, role: str, by: str | None = None) -> dict:
    """An account of a WeCom stage: a record named by the member's UserID and linked to it."""
    import uuid

    _check_role(clinic_id, role)
    if store.staff_by_wecom(clinic_id, userid) is not None:
        raise Conflict("this WeCom member has an account in the clinic already", code="wecom_userid_taken",
                       field="username")
    subject = "wecom-" + uuid.uuid4().hex
    store.put_staff_account(clinic_id, subject, username=userid, role=role, status="active", tokens_valid_after=0,
                            at=iso(clock.now()), by=by)
    if not store.link_wecom(clinic_id, subject, userid, iso(clock.now())):
        raise Conflict("this WeCom member has an account in the clinic already", code="wecom_userid_taken",
                       field="username")
    return {"username": userid, "clinic_id": clinic_id, "role": role, "status": "active"}


def link_wecom(clinic_id: str, username: str, userid: str) -> dict:
    """Let the WeCom member `userid` sign in as the account `username` (a user-pool account of a
    stage that moves to WeCom, or a WeCom account whose member changed)."""
    sub, account = _account(clinic_id, username)
    if not store.link_wecom(clinic_id, sub, userid, iso(clock.now())):
        raise Conflict("this WeCom member signs in as another account of the clinic", code="wecom_userid_taken",
                       field="wecom_userid")
    return {"username": account.username, "clinic_id": clinic_id, "role": account.role, "status": account.status,
            "wecom_userid": userid}


def _account(clinic_id: str, username: str):
    if not _in_pool():
        found = store.staff_by_wecom(clinic_id, username)
        if found is None:
            raise NotFound("no such staff account in this clinic", code="account_not_found", field="username")
        return found.subject, found
    user = _user(username)
    if user["clinic_id"] != clinic_id:
        raise NotFound("no such staff account in this clinic", code="account_not_found", field="username")
    account = store.staff_account(clinic_id, user["sub"])
    if account is None:
        raise NotFound("this account has no record in the clinic", code="account_not_found", field="username")
    return user["sub"], account


def account_of(clinic_id: str, username: str):
    """(sub, account record) of a staff username of the clinic; account_not_found otherwise."""
    return _account(clinic_id, username)


def disable(clinic_id: str, username: str, by: str | None = None) -> dict:
    """No sign-in, no refresh, and every token already handed out refused from now on."""
    sub, account = _account(clinic_id, username)
    _guard(clinic_id, username, account, by)
    if _in_pool():
        cognito = client("cognito-idp")
        cognito.admin_disable_user(UserPoolId=_pool(), Username=username)
        cognito.admin_user_global_sign_out(UserPoolId=_pool(), Username=username)
    store.put_staff_account(clinic_id, sub, username=username, role=account.role, status="disabled",
                            tokens_valid_after=_now(), at=iso(clock.now()), by=by,
                            created_at=account.created_at)
    logger.info("staff account disabled", extra={"staff": sub})
    from chalicelib.services import audit

    audit.record(None, audit.STAFF_DISABLE, clinic_id=clinic_id, actor=by, detail={"username": username})
    return {"username": username, "clinic_id": clinic_id, "role": account.role, "status": "disabled"}


def enable(clinic_id: str, username: str, by: str | None = None) -> dict:
    sub, account = _account(clinic_id, username)
    if _in_pool():
        client("cognito-idp").admin_enable_user(UserPoolId=_pool(), Username=username)
    store.put_staff_account(clinic_id, sub, username=username, role=account.role, status="active",
                            tokens_valid_after=int(account.tokens_valid_after or 0), at=iso(clock.now()), by=by,
                            created_at=account.created_at)
    from chalicelib.services import audit

    audit.record(None, audit.STAFF_ENABLE, clinic_id=clinic_id, actor=by, detail={"username": username})
    return {"username": username, "clinic_id": clinic_id, "role": account.role, "status": "active"}


def set_role(clinic_id: str, username: str, role: str, by: str | None = None) -> dict:
    """Move the account to another role; its tokens of the old role stop counting at once."""
    _check_role(clinic_id, role)
    sub, account = _account(clinic_id, username)
    if role != account.role:
        _guard(clinic_id, username, account, by)
    if _in_pool():
        cognito = client("cognito-idp")
        for old in ROLES:
            if old != role:
                cognito.admin_remove_user_from_group(UserPoolId=_pool(), Username=username, GroupName=old)
        cognito.admin_add_user_to_group(UserPoolId=_pool(), Username=username, GroupName=role)
    store.put_staff_account(clinic_id, sub, username=username, role=role, status=account.status,
                            tokens_valid_after=_now(), at=iso(clock.now()), by=by, created_at=account.created_at)
    logger.info("staff role changed", extra={"staff": sub, "role": role})
    from chalicelib.services import audit

    audit.record(None, audit.ROLE_CHANGE, clinic_id=clinic_id, actor=by,
                 detail={"username": username, "from": account.role, "to": role})
    return {"username": username, "clinic_id": clinic_id, "role": role, "status": account.status}


def record_existing(clinic_id: str, by: str | None = None) -> list[dict]:
    """Write the record of every account of the clinic in the user pool that has none yet (the
    accounts of a stage deployed before records existed), with its role and status."""
    cognito = client("cognito-idp")
    pool_id = _pool()
    recorded = []
    for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id):
        for user in page["Users"]:
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            if attributes.get("custom:clinic_id") != clinic_id or store.staff_account(clinic_id, attributes["sub"]):
                continue
            groups = {g["GroupName"] for g in cognito.admin_list_groups_for_user(
                UserPoolId=pool_id, Username=user["Username"])["Groups"]}
            role = staff_role(groups)
            if role is None:
                continue  # not staff of any role: its tokens are refused anyway
            status = "active" if user.get("Enabled", True) else "disabled"
            store.put_staff_account(clinic_id, attributes["sub"], username=user["Username"], role=role, status=status,
                                    tokens_valid_after=0, at=iso(clock.now()), by=by)
            recorded.append({"username": user["Username"], "role": role, "status": status})
    return recorded
