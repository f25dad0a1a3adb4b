"""Small helpers shared by API tests."""

from tests.conftest import wx_code


def relogin(api, name: str, clinic_id: str = "demo-dental") -> str:
    """A fresh patient access token for WeChat user `name` (after the clock moved past the old one)."""
    status, data = api.post("/auth/wechat/login", {"clinic_id": clinic_id, "code": wx_code(name)})
    assert status == 200 and data["registered"], data
    return data["access_token"]


def concrete(path: str) -> str:
    """A route path with every `{param}` filled in."""
    import re

    return re.sub(r"\{[^}]+\}", "abc123", path)


def registered_routes(include_public: bool = True) -> list[dict]:
    from app import app  # noqa: F401  (registers every route)
    from chalicelib.api.routing import PUBLIC, REGISTRY

    return [r for r in REGISTRY if include_public or PUBLIC not in r["roles"]]


def route_id(entry: dict) -> str:
    return f"{entry['method']} {entry['path']}"


def wechat_login(api, name: str, clinic_id: str = "demo-dental") -> dict:
    """A WeChat login's whole answer (tokens, registered) for user `name`, with a fresh code."""
    status, login = api.post("/auth/wechat/login", {"clinic_id": clinic_id, "code": wx_code(name)})
    assert status == 200, login
    return login


def refresh(api, token: str):
    return api.post("/auth/refresh", {"refresh_token": token})


def staff_sign_in(api, username: str, password: str | None = None):
    from tests.conftest import STAFF_PASSWORD

    return api.post("/auth/staff/login", {"username": username, "password": password or STAFF_PASSWORD})


def pool_user(username: str, clinic_id: str, group: str) -> None:
    """An account made in the user pool alone, without the app's record (as an older stage did)."""
    from chalicelib.aws import client
    from chalicelib.config import settings
    from tests.conftest import STAFF_PASSWORD

    cognito, pool = client("cognito-idp"), settings().cognito_user_pool_id
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "custom:clinic_id", "Value": clinic_id}])
    cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password=STAFF_PASSWORD, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=group)
