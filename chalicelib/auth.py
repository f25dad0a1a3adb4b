"""Who is calling: our own patient session tokens (PyJWT, HS256) and Cognito staff tokens (RS256).

Roles: `visitor` (logged in with WeChat, no record yet), `patient`, and the staff roles
`admin`, `front_desk`, `health_manager` and `analyst` (read-only, never decrypted personal data).
A patient token names one clinic and one patient; a staff token carries the clinic in the
Cognito custom attribute `custom:clinic_id` and the role in `cognito:groups`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jwt

from chalicelib.config import settings
from chalicelib.domain.clock import clock
from chalicelib.errors import Unauthorized

ISSUER = "revisit"
# A staff account holds one role; an account found in several groups takes the first of this order.
STAFF_ROLES = ("admin", "health_manager", "front_desk", "analyst")
# The platform's (or a chain's) operators create clinics; their accounts belong to no clinic but the
# reserved tenant PLATFORM_CLINIC, so no route that reads a clinic's data ever finds any for them.
OPERATOR_ROLE = "operator"
PLATFORM_CLINIC = "platform"
ACCOUNT_ROLES = STAFF_ROLES + (OPERATOR_ROLE,)


@dataclass(frozen=True)
class Principal:
    role: str
    clinic_id: str
    subject: str
    patient_id: str | None = None
    openid_hash: str | None = None
    username: str | None = None
    roles: tuple[str, ...] = field(default_factory=tuple)
    family: str | None = None  # a patient's or visitor's login session (services.sessions)
    token_version: int = 0  # must equal the patient record's token version
    issued_at: int = 0

    @property
    def is_staff(self) -> bool:
        return self.role in ACCOUNT_ROLES


def issue_patient_tokens(clinic_id: str, openid_hash: str, patient_id: str | None, *, family: str | None = None,
                         jti: str | None = None, token_version: int = 0) -> dict[str, Any]:
    """An access and a refresh token. `family` and `jti` come from the session the refresh token
    belongs to (services.sessions), `token_version` from the patient's record."""
    conf = settings()
    now = int(clock.now().timestamp())
    role = "patient" if patient_id else "visitor"
    claims = {
        "iss": ISSUER,
        "sub": patient_id or f"wx:{openid_hash[:24]}",
        "tid": clinic_id,
        "role": role,
        "wx": openid_hash,
        "iat": now,
        "tv": int(token_version),
    }
    if family:
        claims["fam"] = family
    access = jwt.encode(
        {**claims, "typ": "access", "exp": now + conf.access_token_ttl}, conf.jwt_secret, algorithm="HS256"
    )
    refresh = jwt.encode(
        {**claims, "typ": "refresh", "exp": now + conf.refresh_token_ttl, "jti": jti or uuid.uuid4().hex},
        conf.jwt_secret,
        algorithm="HS256",
    )
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": conf.access_token_ttl,
        "patient_id": patient_id,
        "registered": bool(patient_id),
    }


def _decode_own(token: str, typ: str) -> dict[str, Any]:
    try:
        # Expiry is checked against the injectable clock below, not the system time.
        claims = jwt.decode(
            token,
            settings().jwt_secret,
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "tid", "role"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token", code="invalid_token") from exc
    if int(claims["exp"]) < clock.now().timestamp():
        raise Unauthorized("token expired", code="token_expired")
    if claims.get("typ") != typ:
        raise Unauthorized("wrong token type", code="invalid_token")
    return claims


def decode_refresh(token: str) -> dict[str, Any]:
    return _decode_own(token, "refresh")


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)


def _staff_jwks_url() -> str:
    conf = settings()
    if conf.cognito_jwks_url:
        return conf.cognito_jwks_url
    if conf.cognito_endpoint:
        return f"{conf.cognito_endpoint.rstrip('/')}/{conf.cognito_user_pool_id}/.well-known/jwks.json"
    suffix = "amazonaws.com.cn" if conf.region.startswith("cn-") else "amazonaws.com"
    return f"https://cognito-idp.{conf.region}.{suffix}/{conf.cognito_user_pool_id}/.well-known/jwks.json"


def staff_role(groups) -> str | None:
    """The role of an account in these identity-provider groups (None: not staff)."""
    return next((role for role in ACCOUNT_ROLES if role in groups), None)


def _decode_staff(token: str) -> Principal:
    conf = settings()
    try:
        key = _jwks_client(_staff_jwks_url()).get_signing_key_from_jwt(token).key
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=conf.cognito_client_id,
            options={"require": ["exp", "iss", "sub", "aud"]},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token", code="invalid_token") from exc
    if not str(claims.get("iss", "")).endswith("/" + conf.cognito_user_pool_id) or claims.get("token_use") != "id":
        raise Unauthorized("token not issued for this user pool", code="invalid_token")
    role = staff_role(claims.get("cognito:groups", []))
    clinic_id = claims.get("custom:clinic_id")
    if not role or not clinic_id:
        raise Unauthorized("staff account has no clinic or role", code="invalid_token")
    return Principal(
        role=role,
        clinic_id=clinic_id,
        subject=claims["sub"],
        username=claims.get("cognito:username"),
        roles=(role,),
        issued_at=int(claims.get("iat") or 0),
    )


def authenticate(authorization: str | None) -> Principal:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("missing bearer token", code="missing_token")
    token = authorization[len("Bearer "):].strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token", code="invalid_token") from exc
    if header.get("alg") == "RS256":
        return _decode_staff(token)
    claims = _decode_own(token, "access")
    role = claims["role"]
    if role not in ("patient", "visitor"):
        raise Unauthorized("invalid token", code="invalid_token")
    return Principal(
        role=role,
        clinic_id=claims["tid"],
        subject=claims["sub"],
        patient_id=claims["sub"] if role == "patient" else None,
        openid_hash=claims.get("wx"),
        roles=(role,),
        family=claims.get("fam"),
        token_version=int(claims.get("tv") or 0),
        issued_at=int(claims["iat"]),
    )
