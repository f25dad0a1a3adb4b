"""WeRun steps: the mini-program sends what wx.getWeRunData gave it with a fresh wx.login code;
the server opens it with that login's session key and records one steps check-in per day of the
last week, through the check-in service (so points, streaks and tasks apply once per day).

Neither the session key nor the encrypted data is stored, and no step count is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib import crypto
from chalicelib.domain import werun
from chalicelib.domain.clock import clock, local_date
from chalicelib.errors import BadRequest, Conflict, Forbidden
from chalicelib.observability import count
from chalicelib.services import activity, login
from chalicelib.store import clinics, history, patients

STEPS = "steps"


@dataclass
class _Reading:
    type: str
    value: float
    client_time: datetime
    unit: str | None = None


def record(principal, code: str, encrypted_data: str, iv: str) -> dict:
    clinic_id, patient_id = principal.clinic_id, principal.patient_id
    patient = patients.get(clinic_id, patient_id)
    if not patient.openid_hash:
        raise Conflict("this record has no WeChat account", code="no_wechat_account")
    openid, data = login.open_user_data(code, encrypted_data, iv)
    if crypto.keyed_hash("openid", clinic_id, openid) != patient.openid_hash:
        raise Forbidden("this WeChat account is not the patient's", code="wechat_account_mismatch", field="code")
    clinic = clinics.get(clinic_id)
    today = local_date(clock.now(), clinic.tz)
    try:
        days = werun.days_to_record(data.get("stepInfoList"), today, clinic.tz)
    except werun.BadStepList as exc:
        raise BadRequest("the WeRun data has no valid step list", code="invalid_werun_data",
                         field="encrypted_data") from exc
    # the best figure already recorded per day: a day is recorded again only when it rose
    best: dict[str, float] = {}
    earliest = (today - timedelta(days=werun.WERUN_DAYS - 1)).isoformat()
    for row in history.checkins(clinic_id, patient_id, limit=200):
        if row["type"] == STEPS and row["local_date"] >= earliest:
            best[row["local_date"]] = max(best.get(row["local_date"], 0.0), row["value"])
    rows, awarded, balance = [], 0, int(patient.balance or 0)
    for day, (steps, starts) in days.items():
        key = day.isoformat()
        if steps <= 0 or steps <= best.get(key, -1):
            rows.append({"local_date": key, "steps": steps, "recorded": False, "counted": False, "points_awarded": 0})
            continue
        answer = activity.check_in(principal, _Reading(STEPS, float(steps), starts),
                                   max_late=timedelta(days=werun.WERUN_DAYS + 1))
        paid = int(answer.get("points_awarded") or 0)
        awarded += paid
        balance = int(answer.get("balance", balance))
        rows.append({"local_date": key, "steps": steps, "recorded": True, "counted": bool(answer["checkin"]["counted"]),
                     "points_awarded": paid})
    count("WeRunUploads")
    return {"days": rows, "points_awarded": awarded, "balance": balance}
