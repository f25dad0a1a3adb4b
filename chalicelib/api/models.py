"""Request bodies and query strings: pydantic allow-lists (unknown fields are refused), so a
client can never set balances, roles or clinic ids. `Reply` is the base of the response models
(chalicelib/api/replies.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.domain.kpis import SILENT_DAYS_MAX, SILENT_DAYS_MIN
from chalicelib.domain.rules import (CHECKIN_TYPES, DEFAULT_EARNING_RULES, GLUCOSE_CONTEXTS, GLUCOSE_UNITS, PURPOSES,
                                     reading_in_range)

Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
# a code of the clinic's catalogue (a condition, department, persona, check-in type or exam flag)
CODE = r"^[a-z][a-z0-9_]+$"


class Rounded:
    """Rounds a number to `places` decimals once its bounds are checked.

    Every fractional number a client sends is declared with `real()`: bounded, finite and
    rounded, so what is stored is a value the domain means (a rate in steps of 0.001, not
    5e-324) and one DynamoDB can hold (its numbers stop at 1e-130 and 38 digits).
    """

    def __init__(self, places: int):
        self.places = places

    def __call__(self, value: float) -> float:
        return round(value, self.places)


def real(places: int, ge: float, le: float):
    """A float from `ge` to `le`, rounded to `places` decimals. The bounds are multiples of
    10**-places, so a rounded value stays within them."""
    step = 10 ** -places
    for bound in (ge, le):
        if abs(round(bound / step) * step - bound) > step / 1000:
            raise ValueError(f"bound {bound} is not a multiple of {step}")
    return Annotated[float, Field(ge=ge, le=le, allow_inf_nan=False, json_schema_extra={"x-decimals": places}),
                     AfterValidator(Rounded(places))]


def _known_consent_version(value: str) -> str:
    from chalicelib.domain.policy import CONSENT_TEXTS

    if value not in CONSENT_TEXTS:
        raise ValueError(f"unknown consent text version {value!r}; GET /me/setup gives the current one")
    return value


ConsentVersion = Annotated[str, Field(min_length=1, max_length=20), AfterValidator(_known_consent_version)]


def _known_purposes(value: dict[str, bool]) -> dict[str, bool]:
    unknown = set(value) - set(PURPOSES)
    if unknown:
        raise ValueError(f"unknown consent purpose {sorted(unknown)[0]}")
    return value


Consents = Annotated[dict[str, bool], AfterValidator(_known_purposes)]


class Strict(BaseModel):
    """The base of every request model: an allow-list. `defer_build`: the class is declared when the
    app is imported, its validator and JSON Schema are built the first time it is used, so a cold
    start pays only for the models its request needs."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class WechatLogin(Strict):
    clinic_id: str = Id
    code: str = Field(min_length=1, max_length=128)


class RefreshBody(Strict):
    refresh_token: str = Field(min_length=10, max_length=4096)


class StaffLogin(Strict):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)


class PatientFields(Strict):
    name: str = Field(min_length=1, max_length=40)
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    sex: Literal["F", "M", "U"] | None = None
    district: str | None = Field(default=None, max_length=40)
    conditions: list[str] = Field(default_factory=list, max_length=10)
    department: str | None = Field(default=None, min_length=2, max_length=40, pattern=CODE,
                                   description="one of the clinic's departments (GET /clinic/catalogue)")
    persona_tags: list[Annotated[str, Field(min_length=2, max_length=40, pattern=CODE)]] = Field(
        default_factory=list, max_length=3, description="the clinic's persona codes (GET /clinic/catalogue)")
    consents: Consents = Field(default_factory=dict)
    consent_version: ConsentVersion = "v1"
    invite_code: str | None = Field(default=None, min_length=4, max_length=16, pattern=r"^[A-Za-z0-9]+$")


PHONE = Field(min_length=6, max_length=20, pattern=r"^\+?[0-9 -]+$")


class PatientRecord(PatientFields):
    """A record staff create at the desk (and the demo seed): the phone as typed, and the hospital's
    own patient number (住院号 / 门诊号) when it has one."""

    phone: str = PHONE
    hospital_no: str | None = Field(default=None, max_length=40)


class OwnRegistration(PatientFields):
    """The patient's own registration: exactly one of `phone` (typed) and `phone_code` (from the
    mini-program's getPhoneNumber button; the server exchanges it with WeChat and marks the
    phone verified)."""

    phone: str | None = Field(default=None, min_length=6, max_length=20, pattern=r"^\+?[0-9 -]+$")
    phone_code: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def one_phone(self):
        if (self.phone is None) == (self.phone_code is None):
            raise ValueError("send exactly one of phone and phone_code")
        return self


class OwnProfileUpdate(Strict):
    """What a patient may change on their own record; a field left out keeps its value, one sent
    as null is cleared."""

    nickname: str | None = Field(default=None, min_length=1, max_length=20)
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    district: str | None = Field(default=None, min_length=1, max_length=40)


class ConsentUpdate(Strict):
    consents: Consents = Field(min_length=1)
    consent_version: ConsentVersion


class ConsentWithdrawal(Strict):
    purposes: list[Literal[PURPOSES]] | None = None  # type: ignore[valid-type]
    consent_version: str = Field(default="withdrawal", min_length=1, max_length=20)


# A bounded float is a float to the type checker; pydantic reads its bounds (models.real).
if TYPE_CHECKING:
    Reading = float
else:
    Reading = real(2, 0, 100_000)


class CheckInBody(Strict):
    """A reading. Each type has its unit and plausible range (domain.rules.READINGS): glucose in
    mmol/L (mg/dL is accepted and converted), steps and task completions in whole numbers. A glucose
    reading may say when it was taken (`context`); other types take neither unit nor context."""

    type: str = Field(min_length=2, max_length=40, pattern=CODE,
                      description="one of the clinic's check-in types (GET /me/setup, GET /clinic/catalogue)")
    unit: Literal[GLUCOSE_UNITS] | None = Field(  # type: ignore[valid-type]
        default=None, description="glucose only: mmol/L (the default) or mg/dL")
    value: Reading
    diastolic: Reading | None = Field(default=None, description="blood pressure only: the diastolic number; "
                                                                "value is the systolic")
    client_time: datetime
    context: Literal[GLUCOSE_CONTEXTS] | None = Field(  # type: ignore[valid-type]
        default=None, description="glucose only: when the reading was taken (fasting, after_meal, random)")

    @field_validator("value")
    @classmethod
    def plausible(cls, value: float, info) -> float:
        kind = info.data.get("type")
        if kind not in CHECKIN_TYPES:  # a type of the clinic's own: checked against its catalogue entry
            if info.data.get("unit") is not None:
                raise ValueError(f"a {kind} check-in takes no unit")
            return value
        return reading_in_range(kind, value, info.data.get("unit"))

    @field_validator("context")
    @classmethod
    def glucose_only(cls, value: str | None, info) -> str | None:
        kind = info.data.get("type")
        if value is not None and kind is not None and kind != "glucose":
            raise ValueError(f"a {kind} check-in takes no context")
        return value

    @field_validator("client_time")
    @classmethod
    def aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("client_time must carry a time zone offset")
        return value


B64 = r"^[A-Za-z0-9+/=]+$"


class WerunBody(Strict):
    """What wx.getWeRunData gave, with a fresh wx.login code (its session key opens the data)."""

    code: str = Field(min_length=1, max_length=128)
    encrypted_data: str = Field(min_length=1, max_length=20_000, pattern=B64)
    iv: str = Field(min_length=1, max_length=64, pattern=B64)


class ShareBody(Strict):
    share_ref: str = Field(min_length=1, max_length=128)


class RedeemBody(Strict):
    reward_id: str = Id


class VisitBody(Strict):
    visit_date: date
    department: str = Field(min_length=2, max_length=40, pattern=CODE,
                            description="one of the clinic's departments (GET /clinic/catalogue)")
    next_due_date: date | None = None


class RemissionBody(Strict):
    condition: str = Id
    date: date


class BookingBody(Strict):
    date: date


class RewardBody(Strict):
    reward_id: str = Id
    name: str = Field(min_length=1, max_length=60)
    name_en: str | None = Field(default=None, max_length=60)
    cost: int = Field(ge=1, le=1_000_000)
    active: bool = True
    stock: int | None = Field(default=None, ge=0, le=1_000_000)
    per_patient_limit: int | None = Field(default=None, ge=1, le=1000)


class EarningRulesBody(Strict):
    revisit_on_time: int = Field(ge=0, le=10_000)
    share: int = Field(ge=0, le=10_000)
    referral_registered: int = Field(ge=0, le=10_000)
    checkin: int = Field(ge=0, le=10_000)


class PeriodLimits(Strict):
    """The most times a rule pays in a clinic-local day, ISO week and month; leave one out for no limit."""

    day: int | None = Field(default=None, ge=1, le=1000)
    week: int | None = Field(default=None, ge=1, le=1000)
    month: int | None = Field(default=None, ge=1, le=1000)


class EarningLimitsBody(Strict):
    """Limits per earning rule; a rule left out keeps the default, `{}` removes its limits."""

    limits: dict[Literal[tuple(DEFAULT_EARNING_RULES)], PeriodLimits]  # type: ignore[valid-type]


class PointsExpiryBody(Strict):
    months: int = Field(ge=1, le=120, description="points expire at the end of this many clinic months")


class HoldoutBody(Strict):
    share: real(3, 0, 0.2) = Field(description="the share of patients who receive no marketing message, "  # type: ignore[valid-type]
                                               "0 to 0.2 (0 ends the holdout); default 0.05")


class SilentDaysBody(Strict):
    days: int = Field(strict=True, ge=SILENT_DAYS_MIN, le=SILENT_DAYS_MAX,
                      description="a patient with no interaction of any kind for more than this many days is silent")


class AdjustmentBody(Strict):
    points: int = Field(ge=-100_000, le=100_000)
    reason: str = Field(min_length=1, max_length=200)

    @field_validator("points")
    @classmethod
    def not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("points must not be zero")
        return value


class ReversalBody(Strict):
    entry_id: str = Field(min_length=1, max_length=120)
    reason: str = Field(min_length=1, max_length=200)


class BoardQuery(Strict):
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    limit: int = Field(default=10, ge=1, le=50)


class Visibility(Strict):
    visible: bool


class Page(Strict):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2000)


class LapsedQuery(Page):
    condition: str = Id
    days: int = Field(default=90, ge=0, le=3650)


# --- staff accounts and clinics (admins and the platform's operators) ---------------------------

StaffRoleName = Literal["admin", "front_desk", "health_manager", "analyst"]


class StaffInviteBody(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
    role: StaffRoleName


class StaffRoleBody(Strict):
    role: StaffRoleName


class NewPasswordBody(Strict):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)  # the temporary password handed over
    new_password: str = Field(min_length=10, max_length=256)


class CreateClinicBody(Strict):
    clinic_id: str = Field(min_length=2, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=60)
    tz: str = Field(default="Asia/Shanghai", min_length=1, max_length=64)
    conditions: list[str] = Field(min_length=1, max_length=40)
    admin_username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
# --- a clinic's catalogue and message templates ----------------------------------------------------

class CatalogueEntryBody(Strict):
    """One entry of a catalogue section; check-in types also give their unit, range and input
    (the range's bounds are readings: bounded, two decimals)."""

    code: str = Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]+$")
    label: str = Field(min_length=1, max_length=20)
    label_en: str = Field(min_length=1, max_length=20)
    active: bool = True
    unit: str | None = Field(default=None, min_length=1, max_length=12)
    low: Reading | None = None
    high: Reading | None = None
    places: int | None = Field(default=None, ge=0, le=2)
    input: Literal["number", "blood_pressure"] | None = None
    low2: Reading | None = None
    high2: Reading | None = None


class CatalogueSectionBody(Strict):
    """The whole section as it should be: an entry left out is refused (deactivate it instead)."""

    entries: list[CatalogueEntryBody] = Field(max_length=60)


class WechatTemplateField(Strict):
    """One key of a WeChat subscribe template (thing1, time3 ...: its type and number) and what
    fills it: one of our fields (`source`) or a fixed text (`value`)."""

    key: str = Field(min_length=4, max_length=24, pattern=r"^[a-z_]+[0-9]{1,3}$")
    source: Literal["clinic", "body", "slot", "kind_name", "notice"] | None = None
    value: str | None = Field(default=None, min_length=1, max_length=40)


class WechatTemplateBody(Strict):
    template_id: str = Field(min_length=1, max_length=128)
    fields: list[WechatTemplateField] = Field(min_length=1, max_length=10)


class SmsTemplateParam(Strict):
    name: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_]+$")
    source: Literal["clinic", "body", "slot", "kind_name", "notice"] | None = None
    value: str | None = Field(default=None, min_length=1, max_length=35)


class SmsTemplateBody(Strict):
    template_id: str = Field(min_length=1, max_length=64)
    params: list[SmsTemplateParam] = Field(default_factory=list, max_length=10)


class MessageTemplatesBody(Strict):
    """A part left out keeps its setting; null clears it."""

    wechat: WechatTemplateBody | None = None
    sms: SmsTemplateBody | None = None


# --- mainland deployment: WeCom sign-in ----------------------------------------------------------

class WecomLogin(Strict):
    clinic_id: str = Id
    code: str = Field(min_length=1, max_length=512)  # WeCom: at most 512 bytes
# -- the front desk (chalicelib/api/desk.py) -----------------------------------------------------------
class DeskSearchQuery(Strict):
    q: str = Field(min_length=1, max_length=60)


class HospitalNoBody(Strict):
    """The hospital's patient number (住院号 / 门诊号); null removes it."""

    hospital_no: str | None = Field(max_length=40)


class BindBody(Strict):
    code: str = Field(min_length=1, max_length=120)
# --- the front desk: imports ------------------------------------------------------------------

class ImportQuery(Strict):
    dry_run: bool = Field(default=False, description="true: check the file and answer what would be recorded, "
                                                     "writing nothing")


# --- asynchronous CSV imports (chalicelib/api/imports.py) ----------------------------------------

class ImportJobQuery(Strict):
    kind: Literal["visits", "exams"] = Field(description="what the file holds: visits or exam results")
