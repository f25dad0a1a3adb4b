"""The pure planner: what happened to each demo patient (visits, check-ins, shares, engagement,
package sales) and whom the stopped experiment reached, drawn from devstack/seed/spec.py.

Deterministic (random.Random seeded per clinic, relative to one moment) and free of AWS, so
tests/unit/test_seed.py checks its distributions without moto.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from chalicelib.domain.clock import local_date, local_moment
from devstack.seed.ids import visit_id_for
from devstack.seed.spec import (
    BEHAVIOURS,
    BEHAVIOURS_OF,
    BIRTH_YEARS,
    CALL_OUTCOMES,
    CALL_WEEKS,
    CHALLENGE_LAUNCH_DAYS,
    CONSENT_RATES,
    DEFAULT_SEED,
    DEPARTMENT_OF,
    EXAM_FLAG_RATES,
    EXPERIMENT_SEND_AT,
    GIVEN_ANY,
    GIVEN_F,
    GIVEN_M,
    HISTORY_DAYS,
    JOINER_ON_TIME,
    LIVE_PATIENTS,
    MOBILE_PREFIXES,
    PACKAGE_SHARE,
    PAST_CONVERSION,
    PAST_EXPERIMENT,
    PAST_EXPOSURES,
    PAST_RUN_DAYS,
    PERSONA_WEIGHTS,
    RECHECK_SHARE,
    REFERRED_SHARE,
    RENEWAL_SHARE,
    RETURN_DAYS,
    REVISIT_DAYS,
    SECOND_CONDITION,
    SHOWCASES,
    SILENT_DAYS,
    STAFF_PLAN_SHARE,
    SURNAMES,
    VISIT_SOURCE,
    WECHAT_SHARE,
    ClinicSpec,
)

# Events written through the services only (never in bulk): challenges, exams, follow-ups ...
ENGAGEMENT_KINDS = ("join", "exam", "confirm", "hide", "adjust", "followup", "call")

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


# -- S5: whom the stopped experiment reached ---------------------------------------------------------------


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
