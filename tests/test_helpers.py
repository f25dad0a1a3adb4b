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
