"""Small helpers shared by API tests."""

from tests.conftest import wx_code


def relogin(api, name: str, clinic_id: str = "demo-dental") -> str:
    """A fresh patient access token for WeChat user `name` (after the clock moved past the old one)."""
    status, data = api.post("/auth/wechat/login", {"clinic_id": clinic_id, "code": wx_code(name)})
    assert status == 200 and data["registered"], data
    return data["access_token"]
