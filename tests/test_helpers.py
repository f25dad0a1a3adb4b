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


# -- the schedules, as AWS runs them: the schedule's fan-out (one message per clinic), then the clinic
# job queue drained through its handler (devstack/schedules.py run_schedule). Each returns what the
# all-clinics job returned before the fan-out, so a test reads the same figures.


def _schedule(job: str, clinic_ids: list[str] | None = None) -> dict[str, dict]:
    from devstack.schedules import run_schedule

    return run_schedule(job, clinic_ids)


def _totals(job: str, names: tuple[str, ...]) -> dict[str, int]:
    by_clinic = _schedule(job)
    return {name: sum(outcome.get(name, 0) for outcome in by_clinic.values()) for name in names}


def sweep_lapses() -> dict[str, int]:
    by_clinic = _schedule("sweep_lapses")
    return {"clinics": len(by_clinic), **{name: sum(o[name] for o in by_clinic.values())
                                          for name in ("read", "queued", "failed", "deferred", "released")}}


def refresh_kpis() -> dict[str, int]:
    """Each clinic's patient count, as the KPI refresh saw it. The table's stream is handed to its
    handler first (in AWS the event source mapping does that continuously)."""
    from chalicelib.jobs.changes import handle
    from devstack.stream_pump import drain

    drain(handle)
    return {clinic_id: outcome["patients"] for clinic_id, outcome in _schedule("refresh_kpis").items()}


def expire_points() -> dict[str, int]:
    return _totals("expire_points", ("lots", "points"))


def requeue_imports() -> dict[str, int]:
    return _totals("requeue_imports", ("running", "jobs", "chunks", "not_queued"))


def mark_no_shows() -> dict[str, int]:
    return _totals("mark_no_shows", ("marked",))


def train_risk_models() -> dict[str, dict]:
    """Each clinic's risk training result (its uplift model trains in the same clinic job)."""
    return {clinic_id: outcome["risk"] for clinic_id, outcome in _schedule("train_risk_models").items()}


def refresh_segments() -> dict[str, int]:
    by_clinic = _schedule("refresh_segments")
    return {"clinics": len(by_clinic), "due": sum(o["due"] for o in by_clinic.values())}


def build_segments() -> dict[str, int]:
    by_clinic = _schedule("build_segments")
    return {"clinics": len(by_clinic), **{name: sum(o[name] for o in by_clinic.values())
                                          for name in ("segments", "pages", "ready", "removed")}}
