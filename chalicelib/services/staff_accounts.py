"""Staff accounts: created, disabled, enabled and given a role in the identity provider (the
Cognito user pool) and in the account record that every staff request is checked against
(services.sessions.check_staff). Disabling or changing a role ends the account's tokens at once,
although the identity provider's own tokens live on until they expire.
"""

from __future__ import annotations

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.domain.clock import clock, iso
from chalicelib.errors import BadRequest, NotFound
from chalicelib.observability import logger
from chalicelib.store import sessions as store

ROLES = ("admin", "staff")


def _pool() -> str:
    pool_id = settings().cognito_user_pool_id
    if not pool_id:
        raise BadRequest("no user pool is configured", code="no_user_pool")
    return pool_id


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


def create(username: str, password: str, clinic_id: str, role: str, by: str | None = None,
           pool_id: str | None = None) -> dict:
    """A new account in the user pool (clinic attribute, group, permanent password) and its record."""
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}", code="invalid_role", field="role")
    pool_id = pool_id or _pool()
    cognito = client("cognito-idp")
    created = cognito.admin_create_user(
        UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "custom:clinic_id", "Value": clinic_id}],
    )
    sub = next(a["Value"] for a in created["User"]["Attributes"] if a["Name"] == "sub")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=role)
    store.put_staff_account(clinic_id, sub, username=username, role=role, status="active", tokens_valid_after=0,
                            at=iso(clock.now()), by=by)
    return {"username": username, "clinic_id": clinic_id, "role": role, "status": "active"}


def _account(clinic_id: str, username: str):
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
    cognito = client("cognito-idp")
    cognito.admin_disable_user(UserPoolId=_pool(), Username=username)
    cognito.admin_user_global_sign_out(UserPoolId=_pool(), Username=username)
    store.put_staff_account(clinic_id, sub, username=username, role=account.role, status="disabled",
                            tokens_valid_after=_now(), at=iso(clock.now()), by=by)
    logger.info("staff account disabled", extra={"staff": sub})
    from chalicelib.services import audit

    audit.record(None, audit.STAFF_DISABLE, clinic_id=clinic_id, actor=by, detail={"username": username})
    return {"username": username, "clinic_id": clinic_id, "role": account.role, "status": "disabled"}


def enable(clinic_id: str, username: str, by: str | None = None) -> dict:
    sub, account = _account(clinic_id, username)
    client("cognito-idp").admin_enable_user(UserPoolId=_pool(), Username=username)
    store.put_staff_account(clinic_id, sub, username=username, role=account.role, status="active",
                            tokens_valid_after=int(account.tokens_valid_after or 0), at=iso(clock.now()), by=by)
    return {"username": username, "clinic_id": clinic_id, "role": account.role, "status": "active"}


def set_role(clinic_id: str, username: str, role: str, by: str | None = None) -> dict:
    """Move the account to another role; its tokens of the old role stop counting at once."""
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}", code="invalid_role", field="role")
    sub, account = _account(clinic_id, username)
    cognito = client("cognito-idp")
    for old in ROLES:
        if old != role:
            cognito.admin_remove_user_from_group(UserPoolId=_pool(), Username=username, GroupName=old)
    cognito.admin_add_user_to_group(UserPoolId=_pool(), Username=username, GroupName=role)
    store.put_staff_account(clinic_id, sub, username=username, role=role, status=account.status,
                            tokens_valid_after=_now(), at=iso(clock.now()), by=by)
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
            role = "admin" if "admin" in groups else "staff" if "staff" in groups else None
            if role is None:
                continue  # not staff of any role: its tokens are refused anyway
            status = "active" if user.get("Enabled", True) else "disabled"
            store.put_staff_account(clinic_id, attributes["sub"], username=user["Username"], role=role, status=status,
                                    tokens_valid_after=0, at=iso(clock.now()), by=by)
            recorded.append({"username": user["Username"], "role": role, "status": status})
    return recorded
