"""Demo data for the local stack: clinic demo-dental (齿护口腔门诊部, Shanghai time) with a few
thousand patients and clinic north-derm (Urumqi time) with a few dozen, each patient with up to
18 months of visits, check-ins, shares, points and consent, and eczema remissions whose day-30
reminders fall due at the first sweep (what fell due long before, such as the content steps of
mothers who joined months ago, is closed as stale then). The scenarios in demo-dental: persona
segments with members (S1); glucose-guard participants on weekly follow-up plans with four weeks of calls, coming back
far more often than diabetic patients who did not join (S2); a stopped A/B experiment on the eczema
reminder with exposures and conversions, and a running one (S5); a history the risk model learns
from (S6); maternity packs sold at the first obstetrics visit, 68% renewed, with a renewal reminder
rule on the package end (S8).

Generating is pure and deterministic (random.Random(seed), relative to one moment), so tests check
it without AWS. Writing goes through the real services for every flow the demo shows (clinic set-up,
registration, visits, check-ins, shares, consent changes, remissions, bookings, redemptions,
follow-up calls, package sales, experiments). For the bulk of older history it writes the very
items those services write, built with the store's own constructors and sent with BatchWriteItem;
tests/unit/test_seed.py checks the two paths agree.

    python -m chalicelib.local.seed --patients 500   # into whatever the environment points at
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time as timer
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from chalicelib.domain.clock import UTC, clock, iso, local_date, local_moment
from chalicelib.domain.rules import CONDITIONS
from chalicelib.errors import AppError

DEFAULT_SEED = 20261122
CONSENT_VERSION = "v1"
RECORDED_BY = "his-import"
VISIT_SOURCE = "import"
HISTORY_DAYS = 540  # about 18 months
SILENT_DAYS = 180
LIVE_PATIENTS = 60  # per clinic, written entirely through the services
CHALLENGE_LAUNCH_DAYS = 210  # the clinic launched its default challenges this many days ago
ENGAGEMENT_KINDS = ("join", "exam", "confirm", "hide", "adjust", "followup", "call")
EXAM_FLAG_RATES = (("high_bmi", 0.45), ("high_bp", 0.3), ("high_glucose", 0.15), ("high_lipids", 0.25))
RECHECK_SHARE = 0.78  # S4: annual re-check rate of the health-check centre (vs about 45% in the industry)
REFERRED_SHARE = 0.35  # S9: of new patients, how many came with a friend's invite code
PROGRESS_EVERY = 250
# S2: the health manager's weekly calls of the last four weeks, with outcomes in these shares
# (a call shortly before a visit is more often booked).
CALL_WEEKS = 4
CALL_OUTCOMES = (("reached", 0.57), ("booked", 0.15), ("declined", 0.23), ("wrong_number", 0.05))
STAFF_PLAN_SHARE = 0.4  # live diabetic or hypertensive patients who did not join get a plan from staff
JOINER_ON_TIME = 0.9
PACKAGE_SHARE = 0.7  # S8: postpartum patients who bought the maternity pack at their first visit
RENEWAL_SHARE = 0.68  # of the packs whose renewal window has closed, the share renewed
PACKAGE_PATIENTS = 1200  # packs are recorded (through the services) for postpartum patients among the first N  # after joining, the share of revisits within a week of the requested day

# -- what a clinic's patients look like ------------------------------------------------------------

DEPARTMENT_OF = {
    "eczema": "dermatology", "diabetes": "endocrinology", "postpartum": "obstetrics", "dental": "dentistry",
    "health_check": "health_check", "hypertension": "general",
}
# Days until the clinic asks the patient back, per condition (dental S3: six months; postpartum:
# the day-42 check; diabetes and hypertension: quarterly; health check: yearly; eczema: follow-up).
REVISIT_DAYS = {"dental": 180, "eczema": 30, "diabetes": 90, "postpartum": 42, "health_check": 365,
                "hypertension": 90}
# Days between visits of a patient who comes back on time (eczema flares come and go).
RETURN_DAYS = {"eczema": (30, 75)}
BIRTH_YEARS = {"postpartum": (1986, 2001), "diabetes": (1945, 1985), "hypertension": (1945, 1980),
               "health_check": (1958, 1999), "eczema": (1960, 2019), "dental": (1950, 2018)}
SECOND_CONDITION = {"diabetes": ("hypertension", "dental"), "hypertension": ("diabetes", "health_check"),
                    "health_check": ("hypertension", "dental"), "dental": ("health_check",),
                    "eczema": ("dental",), "postpartum": ("dental",)}
BEHAVIOURS = (("on_time", 0.42), ("late", 0.24), ("silent", 0.29), ("new", 0.05))
# S2: diabetic patients left to themselves keep about half their revisit dates (the article's 53%).
BEHAVIOURS_OF = {"diabetes": (("on_time", 0.12), ("late", 0.28), ("silent", 0.55), ("new", 0.05))}
PERSONA_WEIGHTS = (("anxious", 0.3), ("knowledge_seeking", 0.45), ("social", 0.25))
CONSENT_RATES = {"service": 0.95, "marketing": 0.35, "analytics": 0.7}
WECHAT_SHARE = 0.55

SURNAMES = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.2), ("赵", 2.0),
    ("吴", 1.8), ("周", 1.7), ("徐", 1.4), ("孙", 1.4), ("马", 1.2), ("朱", 1.1), ("胡", 1.1), ("郭", 1.0),
    ("何", 1.0), ("林", 0.9), ("罗", 0.9), ("郑", 0.8), ("梁", 0.8), ("谢", 0.7), ("宋", 0.6), ("唐", 0.6),
    ("许", 0.6), ("韩", 0.5), ("冯", 0.5), ("邓", 0.5), ("曹", 0.5), ("彭", 0.5), ("曾", 0.5), ("肖", 0.4),
    ("田", 0.4), ("董", 0.4), ("袁", 0.4), ("潘", 0.4), ("蒋", 0.4), ("蔡", 0.4), ("余", 0.4), ("杜", 0.4),
    ("叶", 0.4), ("程", 0.4), ("苏", 0.3), ("魏", 0.3), ("吕", 0.3), ("丁", 0.3), ("任", 0.3), ("沈", 0.3),
    ("姚", 0.3), ("卢", 0.3), ("姜", 0.3), ("崔", 0.3), ("钟", 0.3), ("谭", 0.3), ("陆", 0.3), ("汪", 0.3),
    ("范", 0.3), ("金", 0.3), ("石", 0.2), ("廖", 0.2), ("贾", 0.2), ("夏", 0.2), ("韦", 0.2), ("方", 0.2),
    ("白", 0.2), ("邹", 0.2), ("孟", 0.2), ("熊", 0.2), ("秦", 0.2), ("邱", 0.2), ("江", 0.2), ("尹", 0.2),
    ("欧阳", 0.05), ("司马", 0.02),
)
GIVEN_F = tuple("芳娜敏静丽艳娟霞秀英华慧巧美婷雪琳晶颖玲桂兰凤洁梅琴云莉倩瑶欣怡佳悦宁蕾薇萍红燕")
GIVEN_M = tuple("伟强磊军洋勇杰涛明超刚平辉鹏斌宇浩凯健俊帆翔鑫波锋亮文博志国建东晨晓峰林海彬毅")
GIVEN_ANY = tuple("晨宇佳子安嘉若思一诗梓睿欣雨可依")
MOBILE_PREFIXES = tuple("130 131 132 133 134 135 136 137 138 139 150 151 152 155 156 157 158 159 166 172 "
                        "176 177 178 180 181 182 183 185 186 187 188 189 191 193 195 198".split())

SHANGHAI_DISTRICTS = ("浦东新区", "徐汇区", "静安区", "黄浦区", "长宁区", "普陀区", "虹口区", "杨浦区", "闵行区",
                      "宝山区", "嘉定区", "松江区", "青浦区", "奉贤区")
URUMQI_DISTRICTS = ("天山区", "沙依巴克区", "新市区", "水磨沟区", "头屯河区", "米东区")


@dataclass(frozen=True)
class ClinicSpec:
    clinic_id: str
    name: str
    tz: str
    code_prefix: str  # mini-program users of the demo log in with wx-<prefix><number>
    conditions: tuple[str, ...]
    condition_weights: tuple[tuple[str, float], ...]
    districts: tuple[str, ...]


DEMO_DENTAL = ClinicSpec(
    "demo-dental", "齿护口腔门诊部", "Asia/Shanghai", "dd", CONDITIONS,
    (("dental", 0.33), ("eczema", 0.2), ("diabetes", 0.15), ("health_check", 0.14), ("postpartum", 0.11),
     ("hypertension", 0.07)),
    SHANGHAI_DISTRICTS,
)
NORTH_DERM = ClinicSpec(
    "north-derm", "北疆皮肤病专科门诊", "Asia/Urumqi", "nd", ("eczema", "health_check"),
    (("eczema", 0.75), ("health_check", 0.25)), URUMQI_DISTRICTS,
)


def north_patients(patients: int) -> int:
    """A few dozen for the default demo, fewer for a small test stack."""
    return max(6, min(36, patients // 5))


# -- the plan: what happened to each patient --------------------------------------------------------


@dataclass(frozen=True)
class Event:
    at: datetime  # when it reached the clinic (UTC): the clock while the service runs
    kind: str  # visit | checkin | share; through the services only: join | exam | confirm | hide | adjust |
    #            followup (staff start a plan, first call on `day`) | call (outcome in `type`, booking on `day`)
    day: date | None = None
    department: str | None = None
    next_due: date | None = None
    external_id: str | None = None
    type: str | None = None
    value: float | None = None
    client_time: datetime | None = None
    share_ref: str | None = None
    flags: tuple[str, ...] = ()  # exam
    task_key: str | None = None  # confirm: the staff task a session counts for, of the exam on `day`


@dataclass(frozen=True)
class Sale:
    """A member package sold (S8): recorded with the clock at `at`, covering from `start`."""

    at: datetime
    start: date
    sale_ref: str
    package_id: str = "maternity-pack"


@dataclass
class PatientPlan:
    clinic_id: str
    tz: str
    index: int
    patient_id: str
    name: str
    phone: str
    birth_year: int
    sex: str
    district: str
    conditions: list[str]
    department: str
    persona_tags: list[str]
    consents: dict[str, bool]
    created_at: datetime
    behaviour: str
    wechat: str | None = None
    events: list[Event] = field(default_factory=list)
    remission: date | None = None
    after_remission: tuple[str, date] | None = None  # ("booking" | "visit", day)
    withdraw_marketing_at: datetime | None = None
    redeem_draw: float = 1.0  # redeems once if the balance allows and this is below REDEEM_SHARE
    note: str | None = None  # showcase patients: what the demo shows with them
    referrer_index: int | None = None  # registered with this earlier patient's invite code (S9)
    packages: list[Sale] = field(default_factory=list)  # S8, recorded through the services after the history

    @property
    def engaged(self) -> bool:
        """Challenges, exams, referrals ...: written through the services, never in bulk."""
        return self.referrer_index is not None or any(e.kind in ENGAGEMENT_KINDS for e in self.events)

    @property
    def visits(self) -> list[Event]:
        return [e for e in self.events if e.kind == "visit"]

    @property
    def last_visit(self) -> date | None:
        days = [e.day for e in self.events if e.kind == "visit"]
        return max(days) if days else None


REDEEM_SHARE = 0.4


def _weighted(rng: random.Random, pairs) -> str:
    names, weights = zip(*pairs)
    return rng.choices(names, weights=weights, k=1)[0]


def chinese_name(rng: random.Random, sex: str) -> str:
    surname = _weighted(rng, SURNAMES)
    pool = GIVEN_F if sex == "F" else GIVEN_M
    if rng.random() < 0.68:
        return surname + rng.choice(pool + GIVEN_ANY) + rng.choice(pool)
    return surname + rng.choice(pool)


def mobile(rng: random.Random, taken: set[str]) -> str:
    while True:
        phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if phone not in taken:
            taken.add(phone)
            return phone


def patient_id_for(clinic_id: str, index: int, seed: int) -> str:
    return hashlib.sha256(f"revisit-demo:{seed}:{clinic_id}:{index}".encode()).hexdigest()[:16]


def _moment(day: date, tz: str, rng: random.Random, start: int = 9 * 60, end: int = 17 * 60) -> datetime:
    minute = rng.randrange(start, end)
    return local_moment(day, time(minute // 60, minute % 60), tz)


def _visit_days(rng: random.Random, condition: str, behaviour: str, first: date, limit: date) -> list[date]:
    """Visit days from the first one until `limit`: on time within a week of the requested date,
    late by weeks, or (silent) stopping for good."""
    days = [first]
    while True:
        due = days[-1] + timedelta(days=_requested(condition, len(days)))
        if behaviour == "new":
            break
        if condition in RETURN_DAYS:
            low, high = RETURN_DAYS[condition]
            gap = rng.randint(low, high) if behaviour != "late" else rng.randint(high, high + 60)
            nxt = days[-1] + timedelta(days=gap)
            if behaviour == "on_time" and rng.random() < 0.6:
                nxt = due + timedelta(days=rng.randint(-4, 6))
        elif behaviour == "on_time":
            nxt = due + timedelta(days=rng.randint(-5, 6) if rng.random() < 0.85 else rng.randint(12, 40))
        else:  # late (mostly within the 30 days the revisit rate allows), or silent before going quiet
            nxt = due + timedelta(days=rng.randint(10, 40))
        if nxt > limit or (behaviour == "silent" and rng.random() < 0.35):
            break
        days.append(nxt)
    return days


def _requested(condition: str, nth_visit: int) -> int:
    if condition == "postpartum" and nth_visit > 1:
        return 365
    return REVISIT_DAYS[condition]


class Planner:
    """Deterministic plans for one clinic, relative to `now` (the moment the demo is seeded)."""

    def __init__(self, spec: ClinicSpec, now: datetime, seed: int = DEFAULT_SEED, engaged: int = LIVE_PATIENTS):
        self.spec = spec
        self.engaged = engaged  # the first this many patients join challenges, have exams ... (S2-S4)
        self.now = now
        self.today = local_date(now, spec.tz)
        self.seed = seed
        self.rng = random.Random(f"{seed}:{spec.clinic_id}")
        self.phones: set[str] = set()
        self.created: dict[int, datetime] = {}
        self.decided_packs = 0  # packages whose renewal window closed, so far: spreads the renewals evenly

    def plans(self, count: int) -> list[PatientPlan]:
        return [self.patient(index) for index in range(count)]

    def patient(self, index: int) -> PatientPlan:
        rng, spec, today = self.rng, self.spec, self.today
        showcase = SHOWCASES.get(spec.clinic_id, {}).get(index, {})
        primary = showcase.get("condition") or _weighted(rng, spec.condition_weights)
        conditions = [primary]
        options = [c for c in SECOND_CONDITION.get(primary, ()) if c in spec.conditions]
        if "second" in showcase:
            conditions.append(showcase["second"])
        elif options and rng.random() < 0.14:
            conditions.append(rng.choice(options))
        sex = "F" if primary == "postpartum" else ("F" if rng.random() < 0.52 else "M")
        low, high = BIRTH_YEARS[primary]
        personas = []
        if primary == "postpartum":
            personas = [showcase.get("persona") or _weighted(rng, PERSONA_WEIGHTS)]
        elif rng.random() < 0.08:
            personas = [_weighted(rng, PERSONA_WEIGHTS)]
        consents = {purpose: rng.random() < rate for purpose, rate in CONSENT_RATES.items()}
        consents.update(showcase.get("consents", {}))
        behaviour = showcase.get("behaviour") or _weighted(rng, BEHAVIOURS_OF.get(primary, BEHAVIOURS))
        wechat = f"{spec.code_prefix}{index:04d}" if (showcase or rng.random() < WECHAT_SHARE) else None

        remission = None
        if "eczema" in conditions and behaviour in ("on_time", "late") and (
                "remission_days_ago" in showcase or rng.random() < 0.35):
            remission = today - timedelta(days=showcase.get("remission_days_ago") or rng.randint(25, 35))

        if behaviour == "new":
            first = today - timedelta(days=rng.randint(1, 30))
        elif behaviour == "silent":
            first = today - timedelta(days=rng.randint(SILENT_DAYS + 20, HISTORY_DAYS))
        else:
            first = today - timedelta(days=rng.randint(40, HISTORY_DAYS))
        limit = today - timedelta(days=1)
        if behaviour == "silent":
            limit = today - timedelta(days=SILENT_DAYS + 1)
        if remission:
            # Treated before the symptoms eased; nothing since, so the day-30 reminder is wanted.
            limit = remission - timedelta(days=rng.randint(3, 20))
            first = min(first, limit - timedelta(days=rng.randint(0, 60)))
        days = _visit_days(rng, primary, behaviour, first, limit)

        created_at = _moment(first, spec.tz, rng, 8 * 60, 9 * 60)
        events = []
        for n, day in enumerate(days):
            at = _moment(day, spec.tz, rng, 9 * 60 + 5, 18 * 60)
            events.append(Event(at=at, kind="visit", day=day, department=DEPARTMENT_OF[primary],
                                next_due=day + timedelta(days=_requested(primary, n + 1)),
                                external_id=f"{spec.clinic_id}-{index}-{n}"))
        if wechat:
            events += self._checkins(rng, conditions, first, showcase, engaged=index < self.engaged)
            events += self._shares(rng, index, first)
        events.sort(key=lambda e: e.at)

        after = None
        if remission and not showcase:
            draw = rng.random()
            waited = (today - remission).days
            if draw < 0.1:
                after = ("booking", remission + timedelta(days=rng.randint(1, max(1, waited - 1))))
            elif draw < 0.18:
                after = ("visit", remission + timedelta(days=rng.randint(1, max(1, waited - 1))))
        withdraw = None
        if consents["marketing"] and not showcase and rng.random() < 0.05:
            withdraw = self.now - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
            withdraw = max(withdraw, created_at + timedelta(minutes=1))
        redeem_draw = 1.0 if showcase else rng.random()
        # Engagement draws from a generator of its own, so the plans above stay as they were.
        engage = random.Random(f"{self.seed}:{spec.clinic_id}:engagement:{index}")
        referrer = None
        if index < self.engaged:
            events = self._engagement(engage, index, conditions, first, created_at, events, bool(wechat))
        elif behaviour == "new" and engage.random() < REFERRED_SHARE:
            earlier = [i for i, at in self.created.items() if at < created_at - timedelta(days=1)]
            referrer = engage.choice(earlier) if earlier else None
        self.created[index] = created_at
        sales = self._packages(index, days, conditions) if "postpartum" in conditions else []

        return PatientPlan(
            clinic_id=spec.clinic_id, tz=spec.tz, index=index,
            patient_id=patient_id_for(spec.clinic_id, index, self.seed),
            name=chinese_name(rng, sex), phone=mobile(rng, self.phones),
            birth_year=rng.randint(low, high), sex=sex, district=rng.choice(spec.districts),
            conditions=conditions, department=DEPARTMENT_OF[primary], persona_tags=personas, consents=consents,
            created_at=created_at, behaviour=behaviour, wechat=wechat, events=events, remission=remission,
            after_remission=after, withdraw_marketing_at=withdraw, redeem_draw=redeem_draw,
            note=showcase.get("note"), referrer_index=referrer, packages=sales,
        )

    def _packages(self, index: int, visit_days: list[date], conditions: list[str]) -> list[Sale]:
        """S8: the maternity pack sold at the first obstetrics visit, and renewed (a new pack starting
        within the window around the end) by RENEWAL_SHARE of the packs whose window has closed;
        of those still inside it, some renewed early. Draws from a generator of its own."""
        from chalicelib.domain.packages import DEFAULT_PACKAGE_TYPES, end_date

        if "postpartum" not in self.spec.conditions:
            return []
        rng = random.Random(f"{self.seed}:{self.spec.clinic_id}:packages:{index}")
        if rng.random() >= PACKAGE_SHARE:
            return []
        kind = DEFAULT_PACKAGE_TYPES[0]
        tz, today = self.spec.tz, self.today
        start = visit_days[0]
        sold = _moment(start, tz, rng, 11 * 60, 17 * 60)
        sales = [Sale(sold, start, f"MP{index:05d}-1", kind["package_id"])]
        end = end_date(start, kind["term_months"])
        window = kind["renewal_window_days"]
        renewal = end + timedelta(days=1 + rng.randint(-20, 20))
        if end + timedelta(days=1 + window) < today:  # decided: renewed or lapsed
            before = self.decided_packs
            self.decided_packs += 1
            renews = int(self.decided_packs * RENEWAL_SHARE) > int(before * RENEWAL_SHARE)
        else:  # still inside the window (or running): only an early renewal has happened yet
            renews = renewal < today and rng.random() < RENEWAL_SHARE
        if renews:
            at = _moment(renewal, tz, rng, 11 * 60, 17 * 60)
            sales.append(Sale(min(at, self.now - timedelta(minutes=5)), renewal, f"MP{index:05d}-2",
                              kind["package_id"]))
        return sales

    def _engagement(self, rng: random.Random, index: int, conditions: list[str], first: date, created_at: datetime,
                    events: list[Event], mini_program: bool) -> list[Event]:
        """S2, S3 and S4 for a patient written through the services: joining the glucose challenge
        before the readings, yearly exams with their task lists, steps after the exam, staff
        sessions, a board opt-out, a staff adjustment."""
        spec, today = self.spec, self.today
        extra: list[Event] = []
        after = created_at + timedelta(minutes=5)
        glucose = [e for e in events if e.kind == "checkin" and e.type == "glucose"]
        launch = today - timedelta(days=CHALLENGE_LAUNCH_DAYS)
        joined = None
        if "diabetes" in conditions and "diabetes" in spec.conditions and glucose and (
                index in SHOWCASES.get(spec.clinic_id, {}) or rng.random() < 0.8):
            counted = [e for e in glucose if local_date(e.client_time, spec.tz) >= launch]
            if counted:
                day = max(local_date(counted[0].client_time, spec.tz) - timedelta(days=1), launch)
                joined = Event(at=max(local_moment(day, time(6, 0), spec.tz), after), kind="join")
                extra.append(joined)
        if joined is not None:
            # S2: weekly calls from a week after joining, and the patient comes back on time since
            events = self._visits_after_join(rng, index, conditions[0], events, joined.at)
            extra += self._calls(rng, local_date(joined.at, spec.tz) + timedelta(days=7), events)
        elif {"diabetes", "hypertension"} & set(conditions) and rng.random() < STAFF_PLAN_SHARE:
            start = today - timedelta(days=rng.randint(7 * CALL_WEEKS + 1, 7 * CALL_WEEKS + 14))
            at = max(local_moment(start, time(9, rng.randint(0, 59)), spec.tz), after)
            start = local_date(at, spec.tz)
            if start < today - timedelta(days=7):
                extra.append(Event(at=at, kind="followup", day=start))
                extra += self._calls(rng, start, events)
        if "health_check" in conditions and "health_check" in spec.conditions and rng.random() < 0.9:
            events, exams = self._exams(rng, first, events, mini_program)
            extra += exams
        if rng.random() < 0.06:
            extra.append(Event(at=max(self.now - timedelta(days=rng.randint(1, 20)), after), kind="hide"))
        if rng.random() < 0.05:
            extra.append(Event(at=max(self.now - timedelta(days=rng.randint(1, 40)), after), kind="adjust",
                               value=float(rng.choice((10, 20, 30)))))
        return sorted(events + extra, key=lambda e: e.at)

    def _visits_after_join(self, rng: random.Random, index: int, primary: str, events: list[Event],
                           joined_at: datetime) -> list[Event]:
        """Visits after the join replaced by on-time revisits: the first soon after the first call
        when the patient was overdue, the next ones within a week of the requested day."""
        tz, yesterday = self.spec.tz, self.today - timedelta(days=1)
        before = [e for e in events if e.kind != "visit" or e.at < joined_at]
        kept = [e for e in before if e.kind == "visit"]
        join_day = local_date(joined_at, tz)
        due = kept[-1].next_due if kept else join_day
        day = due + timedelta(days=rng.randint(-5, 6)) if due > join_day + timedelta(days=10) else \
            join_day + timedelta(days=rng.randint(8, 20))
        n = len(kept)
        while day <= yesterday:
            if kept and day <= kept[-1].day:
                day = kept[-1].day + timedelta(days=1)
            visit = Event(at=_moment(day, tz, rng, 9 * 60 + 5, 18 * 60), kind="visit", day=day,
                          department=DEPARTMENT_OF[primary], next_due=day + timedelta(days=_requested(primary, n + 1)),
                          external_id=f"{self.spec.clinic_id}-{index}-{n}")
            if visit.at <= joined_at:
                visit = replace(visit, at=joined_at + timedelta(hours=3))
            before.append(visit)
            kept.append(visit)
            n += 1
            late = rng.random() >= JOINER_ON_TIME
            day = visit.next_due + timedelta(days=rng.randint(10, 25) if late else rng.randint(-5, 6))
        return sorted(before, key=lambda e: e.at)

    def _calls(self, rng: random.Random, first_call: date, events: list[Event]) -> list[Event]:
        """The weekly calls of the last CALL_WEEKS weeks (none before `first_call`). The last one
        was a week before the plan's next due day: today for many (today's calls are still to
        make), a few days ago for some, later this week for the rest."""
        tz, today = self.spec.tz, self.today
        draw = rng.random()
        next_due = today - timedelta(days=rng.randint(1, 3)) if draw < 0.2 else \
            today if draw < 0.6 else today + timedelta(days=rng.randint(1, 6))
        last = next_due - timedelta(days=7)
        days = [last] + [last - timedelta(days=7 * k + rng.randint(-1, 1)) for k in range(1, CALL_WEEKS)]
        days = sorted(d for d in days if first_call <= d < today)
        visits = sorted(e.day for e in events if e.kind == "visit")
        calls = []
        for day in days:
            outcome = _weighted(rng, CALL_OUTCOMES)
            coming = next((v for v in visits if day < v <= day + timedelta(days=14)), None)
            if coming is not None and outcome == "reached" and rng.random() < 0.5:
                outcome = "booked"
            booking = None
            if outcome == "booked":  # the visit that followed, or a day the patient may or may not keep
                booking = coming or day + timedelta(days=rng.randint(2, 10))
            calls.append(Event(at=_moment(day, tz, rng, 10 * 60, 17 * 60), kind="call", type=outcome, day=booking))
            if outcome == "wrong_number":
                break  # the plan is paused: no call after it
        return calls

    def _exams(self, rng: random.Random, first: date, events: list[Event], mini_program: bool):
        """A check-up 12 to 18 months ago (the re-check due in the last six months: decided for
        some, inside its grace for others) and, for most, the yearly re-check within its window,
        with tasks and progress."""
        from chalicelib.domain.kpis import RECHECK_DUE_DAYS, RECHECK_EARLY_DAYS, RECHECK_GRACE_DAYS
        from chalicelib.domain.tasks import DEFAULT_RULES, STAFF

        spec, today = self.spec, self.today
        exams: list[Event] = []
        # half due in the last three months (grace running), half due three to six months ago (decided)
        oldest = RECHECK_DUE_DAYS + RECHECK_GRACE_DAYS * (2 if rng.random() < 0.5 else 1)
        anchor = today - timedelta(days=rng.randint(oldest - RECHECK_GRACE_DAYS, oldest))
        if anchor > first:
            exams.append(self._exam(rng, anchor))
        if rng.random() >= RECHECK_SHARE:
            return events, exams
        earliest = anchor + timedelta(days=RECHECK_EARLY_DAYS)
        latest = min(anchor + timedelta(days=RECHECK_DUE_DAYS + RECHECK_GRACE_DAYS), today - timedelta(days=2))
        recent = max(earliest, today - timedelta(days=60))
        if rng.random() < 0.6 and recent <= latest:  # many came back in the last two months: task lists running
            recheck = recent + timedelta(days=rng.randint(0, (latest - recent).days))
        else:
            recheck = min(anchor + timedelta(days=rng.randint(330, 400)), latest)
        if recheck <= first:
            return events, exams
        exam = self._exam(rng, recheck)
        exams.append(exam)
        keys_seen = set()
        for flag in exam.flags:
            for task in DEFAULT_RULES[flag]:
                if task.task_key in keys_seen or task.kind != STAFF:
                    continue
                keys_seen.add(task.task_key)
                for n in range(task.target):
                    day = recheck + timedelta(days=7 * (n + 1) + rng.randint(0, 3))
                    if day < today and rng.random() < 0.8:
                        exams.append(Event(at=local_moment(day, time(15, rng.randint(0, 59)), spec.tz),
                                           kind="confirm", day=recheck, task_key=task.task_key))
        if mini_program and (today - recheck).days <= 45:
            # after the re-check the patient walks more, and the phone uploads the day's steps
            events = [e for e in events if e.type != "steps"]
            for back in range((today - recheck).days - 1, 0, -1):
                if rng.random() < 0.85:
                    day = today - timedelta(days=back)
                    taken = _moment(day, spec.tz, rng, 20 * 60, 22 * 60 + 30)
                    events.append(Event(at=taken + timedelta(minutes=rng.randint(0, 20), seconds=rng.randint(1, 59)),
                                        kind="checkin", type="steps", value=float(rng.randrange(6500, 14000)),
                                        client_time=taken))
        return events, exams

    def _exam(self, rng: random.Random, day: date) -> Event:
        flags = tuple(flag for flag, rate in EXAM_FLAG_RATES if rng.random() < rate)
        return Event(at=local_moment(day, time(16, rng.randint(0, 59)), self.spec.tz), kind="exam", day=day,
                     flags=flags)

    def _checkins(self, rng: random.Random, conditions: list[str], first: date, showcase: dict,
                  engaged: bool = False) -> list[Event]:
        plans = []
        if "diabetes" in conditions and (showcase.get("checkin_days") or rng.random() < 0.65):
            # an engaged patient may have been uploading since before the S2 challenge began
            plans.append(("glucose", showcase.get("checkin_days") or rng.randint(10, 240 if engaged else 120),
                          showcase.get("checkin_rate") or rng.uniform(0.55, 0.95), (7 * 60, 9 * 60 + 30)))
        if "health_check" in conditions and rng.random() < 0.45:
            plans.append(("steps", rng.randint(14, 40), rng.uniform(0.5, 0.9), (20 * 60, 22 * 60 + 30)))
        events = []
        for kind, days, rate, (start, end) in plans:
            for back in range(days, 0, -1):
                day = self.today - timedelta(days=back)
                if day <= first or rng.random() > rate:
                    continue
                taken = _moment(day, self.spec.tz, rng, start, end)
                value = round(rng.uniform(4.6, 10.8), 1) if kind == "glucose" else float(rng.randrange(2500, 14500))
                received = taken + timedelta(minutes=rng.randint(0, 20), seconds=rng.randint(1, 59))
                events.append(Event(at=received, kind="checkin", type=kind, value=value, client_time=taken))
        return events

    def _shares(self, rng: random.Random, index: int, first: date) -> list[Event]:
        count = rng.choice((0, 0, 0, 0, 0, 1, 1, 2, 3, 5))
        span = (self.today - first).days - 1  # shares fall between the first visit and yesterday
        if span < 1:
            return []
        events = []
        for n in range(count):
            day = first + timedelta(days=rng.randint(1, span))
            events.append(Event(at=_moment(day, self.spec.tz, rng, 8 * 60, 22 * 60), kind="share",
                                share_ref=f"article-{self.spec.clinic_id}-{index}-{n}"))
        return events


# Patients the demo points at (their login codes are printed when the stack starts).
SHOWCASES = {
    "demo-dental": {
        0: {"condition": "diabetes", "second": "hypertension", "behaviour": "on_time", "checkin_days": 200,
            "checkin_rate": 0.97, "consents": {"service": True, "marketing": True, "analytics": True},
            "note": "糖尿病 · 血糖连续打卡 · 积分够兑换 (diabetes, glucose streak, enough points to redeem)"},
        1: {"condition": "eczema", "behaviour": "on_time", "remission_days_ago": 31,
            "consents": {"service": True, "marketing": True, "analytics": True},
            "note": "湿疹缓解第31天 · 复诊提醒 (eczema, day-30 reminder in the inbox)"},
        2: {"condition": "postpartum", "persona": "anxious", "behaviour": "on_time",
            "consents": {"service": True, "marketing": False, "analytics": True},
            "note": "产后 · 焦虑型 (postpartum, anxious persona)"},
        3: {"condition": "dental", "behaviour": "silent",
            "consents": {"service": True, "marketing": True, "analytics": False},
            "note": "沉默超过180天 (silent for over 180 days)"},
    },
    "north-derm": {
        0: {"condition": "eczema", "behaviour": "on_time", "remission_days_ago": 32,
            "consents": {"service": True, "marketing": False, "analytics": True},
            "note": "湿疹缓解第32天 · 乌鲁木齐时间 (eczema, Urumqi time)"},
    },
}


# -- writing: the bulk path -------------------------------------------------------------------------------


def visit_id_for(source: str, external_id: str) -> str:
    """The id services.visits.record_visit gives a visit with an external id."""
    return "x" + hashlib.sha256(f"{source}:{external_id}".encode()).hexdigest()[:15]


def checkin_id_for(plan: PatientPlan, event: Event) -> str:
    return hashlib.sha256(f"{plan.patient_id}:{event.type}:{iso(event.client_time)}".encode()).hexdigest()[:16]


def openid_hash_for(plan: PatientPlan) -> str | None:
    from chalicelib import crypto

    return crypto.keyed_hash("openid", plan.clinic_id, "o" + plan.wechat) if plan.wechat else None


def history_items(plan: PatientPlan, key: bytes, earning_rules: dict | None = None):
    """The items registering the patient and recording its visits, check-ins and shares leave in
    the table, built as the services build them. Returns (items, final patient item)."""
    if plan.engaged:
        raise ValueError(f"plan {plan.index} has engagement events or a referrer: write it through the services")
    from chalicelib import crypto
    from chalicelib.domain.privacy import mask_name, normalise_phone
    from chalicelib.domain.rules import checkin_day, points_for
    from chalicelib.services.patients import consent_changes
    from chalicelib.services.visits import _met_due
    from chalicelib.store import keys
    from chalicelib.store import patients as store
    from chalicelib.domain import earning as payout_rules
    from chalicelib.domain.clock import local_date
    from chalicelib.store.earning import _expiry as counter_expiry
    from chalicelib.store.models import (
        BoardEntryItem,
        CheckInItem,
        DayMarkItem,
        LimitCounterItem,
        PointsLotItem,
        UniqueItem,
        VisitItem,
    )
    from chalicelib.store.points import day_mark_sk, ledger_entry_id_for_checkin, ledger_item
    from chalicelib.store.visits import due_item

    clinic_id, patient_id = plan.clinic_id, plan.patient_id
    created = iso(plan.created_at)
    phone = normalise_phone(plan.phone)
    consents = consent_changes(plan.consents, CONSENT_VERSION, created)
    openid_hash = openid_hash_for(plan)
    patient = store.new_patient_item(
        clinic_id, patient_id, created_at=created,
        name_enc=crypto.encrypt(key, clinic_id, plan.name), phone_enc=crypto.encrypt(key, clinic_id, phone),
        phone_hash=crypto.keyed_hash("phone", clinic_id, phone), name_masked=mask_name(plan.name),
        openid_hash=openid_hash, birth_year=plan.birth_year, sex=plan.sex, district=plan.district,
        conditions=sorted(set(plan.conditions)), department=plan.department,
        persona_tags=sorted(set(plan.persona_tags)), consents=consents,
    )
    items: list = [UniqueItem(keys.phone_pk(clinic_id, patient.phone_hash), "UNIQUE", patient_id=patient_id)]
    if openid_hash:
        items.append(UniqueItem(keys.openid_pk(clinic_id, openid_hash), "UNIQUE", patient_id=patient_id))
    items += store.consent_log_items(patient.pk, consents)

    rules = earning_rules or {}
    balance = earned = visit_count = 0
    last_visit = revisit_due = last_checkin = None
    dues: dict[str, object] = {}
    ledger: set[str] = set()

    lots: dict[str, int] = {}
    board: dict[str, int] = {}
    counters: dict[str, tuple[int, int]] = {}  # sort key -> (count, expires_at)

    def credit(points: int, rule: str | None = None, moment: datetime | None = None) -> None:
        """Balance, lot and board as the payout's transaction leaves them (see store.earning)."""
        nonlocal balance, earned
        balance += points
        if points > 0:
            earned += points
        if points > 0 and moment is not None:
            day = local_date(moment, plan.tz)
            expires = payout_rules.expires_on(day, payout_rules.DEFAULT_EXPIRY_MONTHS).isoformat()
            lots[expires] = lots.get(expires, 0) + points
            if rule in payout_rules.BOARD_RULES:
                month = payout_rules.month_key(day)
                board[month] = board.get(month, 0) + points

    def within_limits(rule: str, moment: datetime) -> bool:
        """Count one payout against the rule's default limits; False (and nothing counted) when one is full."""
        day = local_date(moment, plan.tz)
        limits = payout_rules.limits_for(None, rule)
        keys_ = {period: f"LIMIT#{rule}#{payout_rules.period_key(period, day)}" for period in limits}
        if any(counters.get(sk, (0, 0))[0] >= limits[period] for period, sk in keys_.items()):
            return False
        for period, sk in keys_.items():
            counters[sk] = (counters.get(sk, (0, 0))[0] + 1,
                            counter_expiry(payout_rules.period_end(period, day), plan.tz))
        return True

    for event in sorted(plan.events, key=lambda e: e.at):
        at = iso(event.at)
        if event.kind == "visit":
            day = event.day.isoformat()
            visit_id = visit_id_for(VISIT_SOURCE, event.external_id)
            met, status = _met_due([d for d in dues.values() if d.status == "pending"], event.day)
            on_time = status == "on_time"
            next_due = event.next_due.isoformat() if event.next_due else None
            items.append(VisitItem(patient.pk, f"VISIT#{day}#{visit_id}", visit_id=visit_id, visit_date=day,
                                   department=event.department, next_due_date=next_due, on_time=on_time,
                                   source=VISIT_SOURCE, recorded_by=RECORDED_BY, recorded_at=at))
            visit_count += 1
            if last_visit is None or day > last_visit:
                last_visit = day
                revisit_due = next_due or revisit_due
            if on_time:
                points = points_for(rules, "revisit_on_time")
                if points:
                    items.append(ledger_item(patient.pk, f"revisit:{visit_id}", points, "revisit_on_time", at,
                                             visit_id))
                    credit(points, "revisit_on_time", event.at)
            if met is not None:
                met.status, met.met_on = status, day
            if next_due:
                dues[next_due] = due_item(clinic_id, patient_id, next_due)
        elif event.kind == "checkin":
            day = checkin_day(event.client_time, event.at, plan.tz).isoformat()
            entry_id = ledger_entry_id_for_checkin(event.type, day)
            counted = entry_id not in ledger
            checkin_id = checkin_id_for(plan, event)
            items.append(CheckInItem(patient.pk, f"CHECKIN#{day}#{event.type}#{checkin_id}", checkin_id=checkin_id,
                                     type=event.type, value=event.value, local_date=day,
                                     client_time=iso(event.client_time), received_at=at, counted=counted))
            if counted:
                items.append(DayMarkItem(patient.pk, day_mark_sk(event.type, day), checkin_id=checkin_id))
                points = points_for(rules, "checkin")
                if points:
                    items.append(ledger_item(patient.pk, entry_id, points, "checkin", at, checkin_id))
                    credit(points, "checkin", event.at)
                ledger.add(entry_id)
                last_checkin = day
        elif event.kind == "share":
            entry_id = "share:" + hashlib.sha256(event.share_ref.encode()).hexdigest()[:24]
            if entry_id in ledger:
                continue
            points = points_for(rules, "share")
            if not within_limits("share", event.at):
                continue
            items.append(ledger_item(patient.pk, entry_id, points, "share", at, None))
            ledger.add(entry_id)
            credit(points, "share", event.at)

    items += list(dues.values())
    for expires, remaining in lots.items():
        items.append(PointsLotItem(patient.pk, f"LOT#{expires}", patient_id=patient_id, expires_on=expires,
                                   remaining=remaining, gsi1pk=keys.lot_expiry_pk(clinic_id),
                                   gsi1sk=f"{expires}#{patient_id}"))
    shard = payout_rules.shard_of(patient_id)
    for month, score in board.items():
        items.append(BoardEntryItem(patient.pk, f"LB#{month}", patient_id=patient_id, month=month, score=score,
                                    name_masked=patient.name_masked, gsi1pk=keys.board_pk(clinic_id, month, shard),
                                    gsi1sk=payout_rules.score_sort(score, patient_id)))
    for sk, (count, expires_at) in counters.items():
        items.append(LimitCounterItem(patient.pk, sk, count=count, expires_at=expires_at))
    patient.visit_count, patient.balance, patient.earned_total = visit_count, balance, earned
    patient.last_visit_date, patient.revisit_due_date, patient.last_checkin_date = last_visit, revisit_due, last_checkin
    items += store.condition_items(patient)
    return [patient] + items, patient


# -- writing: the service path ------------------------------------------------------------------------------


def principal_for(plan: PatientPlan, openid_hash: str | None):
    from chalicelib.auth import Principal

    return Principal(role="patient", clinic_id=plan.clinic_id, subject=plan.patient_id, patient_id=plan.patient_id,
                     openid_hash=openid_hash, roles=("patient",))


def apply_history(plan: PatientPlan, referrer: str | None = None) -> None:
    """Register the patient (with the invite code of `referrer`, a patient id, if any) and replay its
    visits, check-ins, shares and engagement through the services, with the clock set to each moment."""
    from chalicelib.api.models import CheckInBody, PatientRecord
    from chalicelib.services import activity, patients, visits

    openid_hash = openid_hash_for(plan)
    principal = principal_for(plan, openid_hash)
    try:
        clock.set(plan.created_at)
        invite = invite_code_of(plan.clinic_id, referrer) if referrer else None
        record = PatientRecord(name=plan.name, phone=plan.phone, birth_year=plan.birth_year, sex=plan.sex,
                               district=plan.district, conditions=plan.conditions, department=plan.department,
                               persona_tags=plan.persona_tags, consents=plan.consents, consent_version=CONSENT_VERSION,
                               invite_code=invite)
        patients.register(plan.clinic_id, record, openid_hash=openid_hash, patient_id=plan.patient_id)
        for event in sorted(plan.events, key=lambda e: e.at):
            clock.set(event.at)
            if event.kind in ENGAGEMENT_KINDS:
                apply_engagement(plan, event, principal)
            elif event.kind == "visit":
                visits.record_visit(plan.clinic_id, plan.patient_id, visit_date=event.day,
                                    department=event.department, next_due_date=event.next_due,
                                    recorded_by=RECORDED_BY, source=VISIT_SOURCE, external_id=event.external_id)
            elif event.kind == "checkin":
                activity.check_in(principal, CheckInBody(type=event.type, value=event.value,
                                                         client_time=event.client_time))
            elif event.kind == "share":
                activity.share(principal, event.share_ref)
    finally:
        clock.release()


def invite_code_of(clinic_id: str, patient_id: str) -> str:
    from chalicelib.store import patients, referrals

    return referrals.ensure_code(patients.get(clinic_id, patient_id))


STAFF_USERNAME = "seed-staff"
ADMIN_USERNAME = "seed-admin"


def apply_engagement(plan: PatientPlan, event: Event, principal) -> None:
    """One engagement event through the service a patient or the desk would call."""
    from chalicelib.services import activity, challenges, followups, tasks
    from chalicelib.services.tasks import _task_id
    from chalicelib.store import leaderboard, patients

    staff = _staff(plan.clinic_id)
    if event.kind == "join":
        challenges.join(principal, "glucose-guard-365")
    elif event.kind == "exam":
        tasks.record_exam(plan.clinic_id, plan.patient_id, taken_on=event.day, flags=event.flags, exam_id=None,
                          recorded_by=STAFF_USERNAME, source="import")
    elif event.kind == "confirm":
        task_id = _task_id(plan.clinic_id, plan.patient_id, event.day.isoformat(), event.task_key)
        try:
            tasks.confirm(staff, plan.patient_id, task_id, None)
        except AppError as err:
            if err.code not in ("task_not_found", "task_closed"):  # not assigned (a task still running) or done
                raise
    elif event.kind == "hide":
        month = local_date(event.at, plan.tz).strftime("%Y-%m")
        leaderboard.set_visible(patients.get(plan.clinic_id, plan.patient_id), False, month)
    elif event.kind == "adjust":
        activity.adjust(staff, plan.patient_id, int(event.value), "活动积分补发 (event points make-up)")
    elif event.kind == "followup":
        followups.start(staff, plan.patient_id, None, event.day)
    elif event.kind == "call":
        followups.record(staff, plan.patient_id, event.type, None, event.day)


def apply_follow_ups(plan: PatientPlan, now: datetime, balance: int, rewards: list[tuple[str, int]],
                     rng: random.Random) -> dict[str, int]:
    """What happened lately, always through the services: consent withdrawals, remissions (which
    plan the day-30 reminders), bookings and visits after them, redemptions."""
    from chalicelib.services import activity, patients, visits

    done = {"remissions": 0, "bookings": 0, "visits_after_remission": 0, "redemptions": 0, "withdrawals": 0}
    try:
        if plan.withdraw_marketing_at:
            clock.set(plan.withdraw_marketing_at)
            patients.update_consents(patients.own_patient(plan.clinic_id, plan.patient_id), {"marketing": False},
                                     "v1-withdrawal")
            done["withdrawals"] += 1
        if plan.remission:
            clock.set(local_moment(plan.remission, time(18, 0), plan.tz))
            visits.record_remission(plan.clinic_id, plan.patient_id, "eczema", plan.remission)
            done["remissions"] += 1
        if plan.after_remission:
            kind, day = plan.after_remission
            clock.set(local_moment(day, time(11, 30), plan.tz))
            if kind == "booking":
                visits.record_booking(plan.clinic_id, plan.patient_id, day + timedelta(days=rng.randint(1, 14)))
                done["bookings"] += 1
            else:
                visits.record_visit(plan.clinic_id, plan.patient_id, visit_date=day, department="dermatology",
                                    next_due_date=day + timedelta(days=REVISIT_DAYS["eczema"]),
                                    recorded_by=RECORDED_BY, source=VISIT_SOURCE,
                                    external_id=f"{plan.clinic_id}-{plan.index}-after-remission")
                done["visits_after_remission"] += 1
        affordable = [(reward_id, cost) for reward_id, cost in rewards if cost <= balance]
        if affordable and plan.redeem_draw < REDEEM_SHARE:
            clock.set(now - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 900)))
            activity.redeem(principal_for(plan, openid_hash_for(plan)), rng.choice(affordable)[0])
            done["redemptions"] += 1
    finally:
        clock.release()
    return done


def apply_packages(plan: PatientPlan, now: datetime) -> dict[str, int]:
    """Record the plan's package sales through the services with the clock at each sale; each sale
    plans its renewal reminders through the clinic's `package_end` rule (the default fires 30 and
    7 days before the end; a reminder already more than a week past is skipped by the planner, one
    of a package renewed meanwhile stops when it falls due, and one whose package ended before the
    first sweep is closed as stale then, not sent)."""
    from chalicelib.api.packages import SaleBody
    from chalicelib.services import packages

    done = {"packages": 0, "renewals": 0}
    staff = _staff(plan.clinic_id)
    try:
        for sale in plan.packages:
            clock.set(sale.at)
            reply = packages.record_sale(staff, plan.patient_id, SaleBody(package_id=sale.package_id,
                                                                          start_date=sale.start,
                                                                          sale_ref=sale.sale_ref))
            done["packages"] += 1
            done["renewals"] += reply["package"]["renewal_of"] is not None
    finally:
        clock.release()
    return done


# -- S5: A/B experiments on the day-30 eczema reminder -----------------------------------------------------

# One that ran and stopped (send time), with exposures and conversions, so results have figures;
# one running now (wording), so the next reminders fall into its arms.
PAST_EXPERIMENT = {
    "experiment_id": "eczema-day30-send-time", "name": "湿疹30天提醒 · 上午或晚上发送 (send time)",
    "target_kind": "recall_rule", "target_id": "eczema-remission-30",
    "arms": [{"arm_id": "morning"}, {"arm_id": "evening", "send_at": "19:30"}],
    "holdout_share": 0.1, "window_days": 14, "sample_size_per_arm": 100,
}
PAST_RUN_DAYS = (110, 55)  # it started this many days ago and stopped this many days ago
PAST_CONVERSION = {"holdout": 0.22, "morning": 0.29, "evening": 0.26}  # revisit within the window
PAST_EXPOSURES = 320
CURRENT_EXPERIMENT = {
    "experiment_id": "eczema-day30-wording", "name": "湿疹30天提醒 · 措辞 (wording)",
    "target_kind": "recall_rule", "target_id": "eczema-remission-30",
    "arms": [{"arm_id": "green-channel"},
             {"arm_id": "relapse-season",
              "template": "{nickname}您好：不少湿疹患者在症状缓解后一个半月左右复发。{clinic}本周为您保留了复查名额，"
                          "早复查、早调整用药，可以少受一次罪。"}],
    "holdout_share": 0.1, "window_days": 14, "baseline_rate": 0.25, "min_uplift": 0.1,
}
EXPERIMENT_SEND_AT = "10:00"  # the eczema rule's own send time, for an arm that keeps it


@dataclass(frozen=True)
class Exposure:
    patient_id: str
    arm_id: str
    sent_at: datetime
    visit: tuple[datetime, date, str] | None = None  # (when, day, visit id) of the visit that converts it


def past_exposures(plans: list[PatientPlan], now: datetime, seed: int = DEFAULT_SEED) -> list[Exposure]:
    """Who the stopped experiment reached and when, and which of their own visits converted them:
    eczema patients, each group converting at about its PAST_CONVERSION share. A converted
    exposure is sent 1 to 13 days before one of the patient's visits; one that did not convert,
    on a day with no visit in the window after it. Pure and deterministic."""
    from chalicelib.domain import experiments as ab

    if not plans:
        return []
    tz = plans[0].tz
    today = local_date(now, tz)
    started, stopped = (today - timedelta(days=d) for d in PAST_RUN_DAYS)
    window = PAST_EXPERIMENT["window_days"]
    arms = [ab.ArmTerms(arm_id=a["arm_id"], weight=1.0, send_at=a.get("send_at")) for a in PAST_EXPERIMENT["arms"]]
    send_at = {a.arm_id: a.send_at or EXPERIMENT_SEND_AT for a in arms}
    send_at[ab.HOLDOUT] = EXPERIMENT_SEND_AT
    rng = random.Random(f"{seed}:{plans[0].clinic_id}:past-experiment")
    tally = {group: [0, 0] for group in send_at}  # converted, exposed
    out = []
    for plan in plans:
        if len(out) >= PAST_EXPOSURES:
            break
        if "eczema" not in plan.conditions or plan.remission:
            continue
        arm = ab.assign(PAST_EXPERIMENT["experiment_id"], plan.patient_id, arms, PAST_EXPERIMENT["holdout_share"])
        visits = [v for v in plan.visits if v.at < now]
        if not visits:
            continue
        earliest = max(started, visits[0].day + timedelta(days=1))  # a reminder follows a visit
        converting = [v for v in visits if earliest + timedelta(days=1) <= v.day <= stopped + timedelta(days=13)]
        quiet = [earliest + timedelta(days=n) for n in range((stopped - earliest).days + 1)]
        quiet = [d for d in quiet if not any(d <= v.day <= d + timedelta(days=window) for v in visits)]
        converted, exposed = tally[arm]
        hour, minute = map(int, send_at[arm].split(":"))
        if converting and converted < PAST_CONVERSION[arm] * (exposed + 1):
            visit = rng.choice(converting)
            day = max(visit.day - timedelta(days=rng.randint(1, 13)), earliest)
            day = min(day, stopped, visit.day - timedelta(days=1))
            if day < earliest:
                continue
            link = (visit.at, visit.day, visit_id_for(VISIT_SOURCE, visit.external_id))
            out.append(Exposure(plan.patient_id, arm, local_moment(day, time(hour, minute), tz), link))
            tally[arm][0] += 1
        elif quiet:
            out.append(Exposure(plan.patient_id, arm, local_moment(rng.choice(quiet), time(hour, minute), tz)))
        else:
            continue
        tally[arm][1] += 1
    return sorted(out, key=lambda e: e.sent_at)


def seed_experiments(clinic_id: str, plans: list[PatientPlan], now: datetime) -> dict[str, int]:
    """The stopped experiment (created, started, exposures, the visits' conversions, stopped, with
    the clock at each step) and the running one, through services.experiments."""
    from chalicelib.api.experiments import ExperimentBody
    from chalicelib.auth import Principal
    from chalicelib.services import experiments
    from chalicelib.store import clinics, patients

    admin = Principal(role="admin", clinic_id=clinic_id, subject=ADMIN_USERNAME, username=ADMIN_USERNAME,
                      roles=("admin",))
    tz = clinics.get(clinic_id).tz
    today = local_date(now, tz)
    started, stopped = (local_moment(today - timedelta(days=d), time(9, 0), tz) for d in PAST_RUN_DAYS)
    exposures = past_exposures(plans, now)
    done = {"exposures": 0, "conversions": 0}
    past_id = PAST_EXPERIMENT["experiment_id"]
    try:
        clock.set(started - timedelta(days=2))
        experiments.create(admin, ExperimentBody(**PAST_EXPERIMENT))
        clock.set(started)
        experiments.start(admin, past_id)
        for exposure in exposures:
            clock.set(exposure.sent_at)
            done["exposures"] += experiments.record_exposure(clinic_id, past_id, exposure.arm_id, exposure.patient_id,
                                                             iso(exposure.sent_at))
        clinic = clinics.get(clinic_id)
        for exposure in sorted((e for e in exposures if e.visit), key=lambda e: e.visit[0]):
            at, day, visit_id = exposure.visit
            # the hook record_visit runs after a visit, for a visit written before its exposure was
            clock.set(at)
            done["conversions"] += experiments.on_visit(clinic, patients.get(clinic_id, exposure.patient_id),
                                                        day.isoformat(), visit_id)
        clock.set(stopped)
        experiments.stop(admin, past_id)
        clock.set(now - timedelta(days=1))
        experiments.create(admin, ExperimentBody(**CURRENT_EXPERIMENT))
        clock.set(now - timedelta(hours=20))
        experiments.start(admin, CURRENT_EXPERIMENT["experiment_id"])
    finally:
        clock.release()
    return done


def _staff(clinic_id: str):
    from chalicelib.auth import Principal

    return Principal(role="staff", clinic_id=clinic_id, subject=STAFF_USERNAME, username=STAFF_USERNAME,
                     roles=("staff",))


# -- the whole demo -------------------------------------------------------------------------------------------


def staff_password() -> str:
    """A password the user pool's policy accepts (10+, upper, lower, digit), new for each install."""
    return f"Rv-{secrets.token_hex(4)}-{secrets.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{secrets.randbelow(10)}"


def create_staff_accounts(pool_id: str, accounts: list[dict]) -> None:
    from chalicelib.local import bootstrap

    for account in accounts:
        bootstrap.create_staff_user(pool_id, account["username"], account["password"], account["clinic_id"],
                                    account["role"])


def demo_staff() -> list[dict]:
    return [{"username": f"{role}@{spec.clinic_id}", "password": staff_password(), "clinic_id": spec.clinic_id,
             "role": role} for spec in (DEMO_DENTAL, NORTH_DERM) for role in ("admin", "staff")]


class Progress:
    def __init__(self, label: str, total: int, out=print):
        self.label, self.total, self.out = label, total, out
        self.started = timer.monotonic()
        self.done = 0

    def step(self) -> None:
        self.done += 1
        if self.done % PROGRESS_EVERY == 0 or self.done == self.total:
            seconds = timer.monotonic() - self.started
            self.out(f"  {self.label}: {self.done}/{self.total} patients, {self.done / max(seconds, 1e-6):.0f}/s",
                     flush=True)


def relaunch_challenges(spec: ClinicSpec, now: datetime) -> None:
    """The demo clinic started on Revisit 18 months ago but launched its default challenges
    CHALLENGE_LAUNCH_DAYS ago, so they are open today (they run for a year)."""
    from chalicelib.domain.challenges import DEFAULT_CHALLENGES
    from chalicelib.store import challenges

    start = local_date(now, spec.tz) - timedelta(days=CHALLENGE_LAUNCH_DAYS)
    for default in DEFAULT_CHALLENGES:
        if default.condition in spec.conditions:
            challenges.edit_challenge(spec.clinic_id, default.challenge_id, default.terms(start).as_dict(), True,
                                      iso(now))


def seed_clinic(spec: ClinicSpec, count: int, now: datetime, seed: int = DEFAULT_SEED, live: int = LIVE_PATIENTS,
                out=print) -> tuple[list[PatientPlan], dict[str, int]]:
    """Create the clinic and its patients; returns the plans and what was written."""
    from chalicelib.local.snapshot import put_items
    from chalicelib.services import activity
    from chalicelib.services.clinics import create_clinic
    from chalicelib.services.patients import clinic_key
    from chalicelib.store import clinics, patients

    clock.set(now - timedelta(days=HISTORY_DAYS + 30))
    try:
        create_clinic(spec.clinic_id, spec.name, spec.tz, spec.conditions)
    finally:
        clock.release()
    clinic = clinics.get(spec.clinic_id, fresh=True)
    key = clinic_key(spec.clinic_id)
    rewards = sorted((r["reward_id"], r["cost"]) for r in activity.rewards(spec.clinic_id))
    plans = Planner(spec, now, seed, engaged=live).plans(count)
    totals = {"patients": 0, "live": 0, "items": 0}
    balances: dict[str, int] = {}
    pending: list[dict] = []
    progress = Progress(spec.clinic_id, count, out)
    relaunch_challenges(spec, now)
    for plan in plans:
        if plan.index < live or plan.engaged:
            if pending:  # a referrer written in bulk must be in the table before its invite code is used
                totals["items"] += put_items(pending)
                pending = []
            referrer = plans[plan.referrer_index].patient_id if plan.referrer_index is not None else None
            apply_history(plan, referrer)
            totals["live"] += 1
            totals["referred"] = totals.get("referred", 0) + (referrer is not None)
        else:
            items, patient = history_items(plan, key, clinic.earning_rules)
            pending += [item.serialize() for item in items]
            balances[plan.patient_id] = int(patient.balance)
            if len(pending) >= 500:
                totals["items"] += put_items(pending)
                pending = []
        totals["patients"] += 1
        progress.step()
    totals["items"] += put_items(pending)
    rng = random.Random(f"{seed}:{spec.clinic_id}:follow-ups")
    for plan in plans:
        balance = balances.get(plan.patient_id)
        if balance is None:
            balance = int(patients.get(spec.clinic_id, plan.patient_id).balance or 0)
        for name, n in apply_follow_ups(plan, now, balance, rewards, rng).items():
            totals[name] = totals.get(name, 0) + n
        if plan.packages and plan.index < PACKAGE_PATIENTS:
            for name, n in apply_packages(plan, now).items():
                totals[name] = totals.get(name, 0) + n
    if spec.clinic_id == DEMO_DENTAL.clinic_id:
        totals.update(seed_experiments(spec.clinic_id, plans, now))
    totals["segment_pages"] = build_segments(spec.clinic_id)
    return plans, totals


def build_segments(clinic_id: str) -> int:
    """Patients written in bulk never passed through the events: build the clinic's segments once."""
    from chalicelib.jobs.segments import build_segments as run
    from chalicelib.services.segments import rebuild

    rebuild(clinic_id, wait=False)
    return run()["pages"]


def run(patients: int = 3000, pool_id: str | None = None, seed: int = DEFAULT_SEED, now: datetime | None = None,
        live: int = LIVE_PATIENTS, out=print) -> dict:
    """Seed both clinics (and their staff accounts when a user pool is given). Returns what the
    runner prints and keeps: staff logins, patient login codes, counts."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    started = timer.monotonic()
    out(f"seeding demo data: {patients} patients at {DEMO_DENTAL.clinic_id}, "
        f"{north_patients(patients)} at {NORTH_DERM.clinic_id} ...", flush=True)
    counts, logins = {}, []
    for spec, count in ((DEMO_DENTAL, patients), (NORTH_DERM, north_patients(patients))):
        plans, totals = seed_clinic(spec, count, now, seed, live, out)
        counts[spec.clinic_id] = totals
        logins += [{"code": f"wx-{p.wechat}", "clinic_id": spec.clinic_id, "patient_id": p.patient_id,
                    "note": p.note} for p in plans if p.note and p.wechat]
    staff = demo_staff() if pool_id else []
    if pool_id:
        create_staff_accounts(pool_id, staff)
    seconds = timer.monotonic() - started
    total = sum(c["patients"] for c in counts.values())
    out(f"seeded {total} patients in {seconds:.1f}s ({total / max(seconds, 1e-6):.0f}/s): "
        + "; ".join(f"{cid} {', '.join(f'{k} {v}' for k, v in c.items())}" for cid, c in counts.items()),
        flush=True)
    return {"seed": seed, "now": iso(now), "patients": patients, "north_patients": north_patients(patients),
            "counts": counts, "patient_logins": logins, "staff": staff, "seconds": round(seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Seed the demo clinics into the table the environment names")
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--live", type=int, default=LIVE_PATIENTS,
                        help="patients per clinic written entirely through the services")
    args = parser.parse_args(argv)
    run(args.patients, seed=args.seed, live=args.live)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
