"""Delivery rules shared by every kind of outbound message: quiet hours, frequency caps per
clinic-local ISO week and per day, how long a message stays worth sending, channel order and the
suggested slot. Pure; times are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from chalicelib.domain.capacity import DEFAULT_CAPACITY_DAYS, DEFAULT_CAPACITY_SHARE
from chalicelib.domain.clock import local_moment, zone

CHANNELS = ("wechat", "inbox", "sms")
DEFAULT_ORDER = ("wechat", "inbox")  # SMS is used only when the patient chose it
DEFAULT_QUIET = (time(21, 0), time(8, 0))
DEFAULT_CAPS = {"marketing": 2, "service": 5}  # messages per patient, purpose and clinic-local ISO week
MAX_CAP = 50
DEFAULT_DAILY_CAP = 2  # messages per patient and clinic-local day, every purpose together
MAX_DAILY_CAP = 20
# How many days after its planned time a message of a kind is still worth sending; later it is
# closed as `stale`. A recall is also bounded by its anchor's window (recall_window).
DEFAULT_RELEVANCE_DAYS = {"recall": 30, "content": 3}
OTHER_KIND_RELEVANCE_DAYS = 3  # a kind without its own setting
MAX_RELEVANCE_DAYS = 365
STALE_PLAN_DAYS = 7  # an offset whose send time passed longer ago than this is not planned
OPEN_DAYS = (0, 1, 2, 3, 4, 5)  # Monday..Saturday
OPEN_AT = time(9, 0)
SLOT_LEAD_DAYS = 2
WEEKDAYS_ZH = "一二三四五六日"


@dataclass(frozen=True)
class DeliverySettings:
    """A clinic's delivery settings; anything left out keeps the default."""

    quiet_start: time = DEFAULT_QUIET[0]
    quiet_end: time = DEFAULT_QUIET[1]
    caps: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CAPS))
    open_days: tuple[int, ...] = OPEN_DAYS
    open_at: time = OPEN_AT
    wechat_templates: dict[str, str] = field(default_factory=dict)  # kind -> WeChat subscribe template id
    daily_cap: int = DEFAULT_DAILY_CAP
    relevance_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RELEVANCE_DAYS))  # kind -> days
    # kind -> {"wechat": {template_id, fields}, "sms": {template_id, params}} (domain.templates)
    message_templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    # capacity-aware recall (domain.capacity): offers outstanding per department <= share x free places
    # of the next `capacity_days` days
    capacity_days: int = DEFAULT_CAPACITY_DAYS
    capacity_share: float = DEFAULT_CAPACITY_SHARE

    def cap(self, purpose: str) -> int:
        return int(self.caps.get(purpose, DEFAULT_CAPS.get(purpose, DEFAULT_CAPS["service"])))

    def relevance(self, kind: str) -> timedelta:
        days = self.relevance_days.get(kind, DEFAULT_RELEVANCE_DAYS.get(kind, OTHER_KIND_RELEVANCE_DAYS))
        return timedelta(days=int(days))

    def as_dict(self) -> dict[str, Any]:
        return {
            "quiet_hours": {"start": self.quiet_start.strftime("%H:%M"), "end": self.quiet_end.strftime("%H:%M")},
            "caps": {**DEFAULT_CAPS, **self.caps},
            "daily_cap": int(self.daily_cap),
            "relevance_days": {**DEFAULT_RELEVANCE_DAYS, **{k: int(v) for k, v in self.relevance_days.items()}},
            "opening": {"days": list(self.open_days), "at": self.open_at.strftime("%H:%M")},
            "wechat_templates": dict(self.wechat_templates),
            "capacity_days": int(self.capacity_days),
            "capacity_share": float(self.capacity_share),
        }


def settings_from(raw: dict[str, Any] | None) -> DeliverySettings:
    """Settings from what the clinic stored (the shape of `as_dict`), defaults for the rest."""
    raw = raw or {}

    def wall(text: str | None, default: time) -> time:
        if not text:
            return default
        hour, minute = (int(x) for x in text.split(":"))
        return time(hour, minute)

    quiet, opening = raw.get("quiet_hours") or {}, raw.get("opening") or {}
    return DeliverySettings(
        quiet_start=wall(quiet.get("start"), DEFAULT_QUIET[0]), quiet_end=wall(quiet.get("end"), DEFAULT_QUIET[1]),
        caps={**DEFAULT_CAPS, **(raw.get("caps") or {})},
        open_days=tuple(opening.get("days") or OPEN_DAYS), open_at=wall(opening.get("at"), OPEN_AT),
        wechat_templates=dict(raw.get("wechat_templates") or {}),
        daily_cap=int(raw.get("daily_cap") or DEFAULT_DAILY_CAP),
        relevance_days={**DEFAULT_RELEVANCE_DAYS, **{k: int(v) for k, v in (raw.get("relevance_days") or {}).items()}},
        message_templates=dict(raw.get("message_templates") or {}),
        capacity_days=int(raw.get("capacity_days") or DEFAULT_CAPACITY_DAYS),
        capacity_share=float(raw.get("capacity_share") or DEFAULT_CAPACITY_SHARE),
    )


def in_quiet_hours(moment: datetime, tz: str, start: time, end: time) -> bool:
    """Whether a moment falls in [start, end) clinic time; the window may cross midnight."""
    if start == end:
        return False
    local = moment.astimezone(zone(tz)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_allowed(moment: datetime, tz: str, start: time, end: time) -> datetime:
    """The moment itself outside quiet hours, else the end of the quiet window it falls in."""
    if not in_quiet_hours(moment, tz, start, end):
        return moment
    local = moment.astimezone(zone(tz))
    day = local.date()
    if start > end and local.time().replace(tzinfo=None) >= start:
        day += timedelta(days=1)  # in the evening part: the window ends tomorrow morning
    return local_moment(day, end, tz)


def last_allowed(moment: datetime, tz: str, start: time, end: time) -> datetime:
    """The moment itself outside quiet hours, else the last minute before the quiet window it falls in."""
    if not in_quiet_hours(moment, tz, start, end):
        return moment
    local = moment.astimezone(zone(tz))
    day = local.date()
    if start > end and local.time().replace(tzinfo=None) < start:
        day -= timedelta(days=1)  # in the morning part: the window began yesterday evening
    return local_moment(day, start, tz) - timedelta(minutes=1)


def week_key(moment: datetime, tz: str) -> str:
    """The clinic-local ISO week of a moment, e.g. 2026-W47."""
    year, week, _ = moment.astimezone(zone(tz)).isocalendar()
    return f"{year}-W{week:02d}"


def next_week_start(moment: datetime, tz: str) -> datetime:
    """Monday 00:00 clinic time after the ISO week of this moment."""
    local = moment.astimezone(zone(tz)).date()
    monday = local - timedelta(days=local.weekday()) + timedelta(days=7)
    return local_moment(monday, time(0, 0), tz)


def day_key(moment: datetime, tz: str) -> str:
    """The clinic-local day of a moment, e.g. 2026-11-20 (the daily cap's counter)."""
    return moment.astimezone(zone(tz)).date().isoformat()


def next_day_start(moment: datetime, tz: str) -> datetime:
    """00:00 clinic time on the day after this moment's."""
    return local_moment(moment.astimezone(zone(tz)).date() + timedelta(days=1), time(0, 0), tz)


def cap_deferral(now: datetime, deadline: datetime, tz: str, settings: DeliverySettings, *,
                 daily: bool = False) -> datetime | None:
    """When a capped message may try again: the next week (a weekly cap) or the next day (the daily
    cap), outside quiet hours; None when that is past the message's deadline (it is then dropped)."""
    start = next_day_start(now, tz) if daily else next_week_start(now, tz)
    again = next_allowed(start, tz, settings.quiet_start, settings.quiet_end)
    return None if again > deadline else again


class Window(NamedTuple):
    """Until when a message is worth sending, and why not after (the job's `stop_reason`)."""

    until: datetime
    reason: str


def relevance_deadline(planned: datetime, kind: str, settings: DeliverySettings,
                       window: Window | None = None) -> Window:
    """The moment after which a message is stale: its kind's relevance days after its planned
    time (`too_late`), or earlier when its own window (a recall's anchor window) ends first."""
    late = Window(planned + settings.relevance(kind), "too_late")
    return window if window is not None and window.until < late.until else late


def recall_window(planned: datetime, offset: int, offsets: Iterable[int], anchor_day: date, tz: str) -> Window | None:
    """A recall's anchor window: it ends when the next offset of the same rule and anchor is due
    (that message replaces this one: `superseded`), and, for a reminder before the anchor day
    (offset <= 0, e.g. a package's end), when that day is over (`anchor_passed`)."""
    ends = []
    later = sorted(o for o in offsets if o > offset)
    if later:
        local = planned.astimezone(zone(tz))
        ends.append(Window(local_moment(local.date() + timedelta(days=later[0] - offset),
                                        local.time().replace(tzinfo=None), tz), "superseded"))
    if offset <= 0:
        ends.append(Window(local_moment(anchor_day + timedelta(days=1), time(0, 0), tz), "anchor_passed"))
    return min(ends, key=lambda w: w.until) if ends else None


def channel_order(preferred: str | None) -> list[str]:
    """Channels to try in order: the patient's choice first, then WeChat, then the inbox.

    SMS is tried only when the patient chose it; the inbox always works, so it is the last resort.
    """
    order = list(DEFAULT_ORDER)
    if preferred in CHANNELS:
        order = [preferred] + [c for c in order if c != preferred]
    return order


def suggested_slot(send_moment: datetime, tz: str, open_days: Iterable[int] = OPEN_DAYS,
                   open_at: time = OPEN_AT) -> datetime:
    """The first opening of the clinic at least SLOT_LEAD_DAYS days after the message's day."""
    day = send_moment.astimezone(zone(tz)).date() + timedelta(days=SLOT_LEAD_DAYS)
    days = tuple(open_days) or OPEN_DAYS
    for _ in range(7):
        if day.weekday() in days:
            break
        day += timedelta(days=1)
    return local_moment(day, open_at, tz)


def slot_text(slot: datetime, tz: str) -> str:
    """How a message states the slot: 11月23日（周一）09:00."""
    local = slot.astimezone(zone(tz))
    return f"{local.month}月{local.day}日（周{WEEKDAYS_ZH[local.weekday()]}）{local:%H:%M}"


def local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(zone(tz)).date()


DEFAULT_WECHAT_TEMPLATES = {"recall": "revisit-recall"}  # kind -> subscribe template id, until a clinic sets its own


# A message is stored with this placeholder where the patient's nickname goes (张女士): the name
# is filled in when the patient reads the message, or when WeChat or SMS carries it, never stored.
NICKNAME = "{nickname}"
# Where a recall's offered slot goes until the sender has held one (Message.with_slot).
SLOT = "{slot}"


def personalise(text: str, nickname: str) -> str:
    """A stored message text with the patient's nickname in place of the placeholder."""
    return text.replace(NICKNAME, nickname) if NICKNAME in text else text


def needs_nickname(*texts: str | None) -> bool:
    return any(text and NICKNAME in text for text in texts)


@dataclass(frozen=True)
class Message:
    """What a composer makes of a job: the text, the WeChat template and the mini-program page.

    Title, body and data keep the NICKNAME placeholder; `personal(nickname)` is the text as it
    reaches the patient.
    """

    title: str
    body: str
    template_id: str | None = None
    link: str = "pages/messages/index"  # the mini-program page a WeChat message opens
    media: str | None = None  # a content step's kind (text, link, audio): how the inbox shows it
    # extra WeChat template fields, e.g. {"time3": "11月23日 09:00"}
    data: dict[str, str] = field(default_factory=dict)
    experiment: tuple[str, str] | None = None  # (experiment, arm) the message belongs to, for its exposure
    window: Window | None = None  # the kind's own end of relevance (a recall's anchor window), if any
    # our named fields (domain.templates.SOURCES: clinic, slot, kind_name) a clinic's template may use
    values: dict[str, str] = field(default_factory=dict)
    # the clinic's templates of this kind: {"wechat": ..., "sms": ...} (domain.templates); empty: the built-in layout
    templates: dict[str, Any] = field(default_factory=dict)
    # a recall offers a slot (services.capacity): the text keeps SLOT where it goes until the sender holds one
    wants_offer: bool = False
    offer_department: str | None = None  # the rule's department (None: the patient's own)

    def with_slot(self, text: str, link: str | None = None) -> "Message":
        """The message with the offered slot's text in place of SLOT (and the page that books it)."""
        return replace(self, title=self.title.replace(SLOT, text), body=self.body.replace(SLOT, text),
                       data={k: str(v).replace(SLOT, text) for k, v in self.data.items()},
                       values={k: str(v).replace(SLOT, text) for k, v in self.values.items()},
                       link=link or self.link, wants_offer=False)

    def personal(self, nickname: str) -> "Message":
        return replace(self, title=personalise(self.title, nickname), body=personalise(self.body, nickname),
                       data={k: personalise(str(v), nickname) for k, v in self.data.items()},
                       values={k: personalise(str(v), nickname) for k, v in self.values.items()})


class Stop(NamedTuple):
    """A composer's answer when the job should not be sent at all (rule gone, patient visited ...).

    `holdout` is the one stop that still counts: an experiment's holdout patient, recorded as
    exposed at the moment the message would have gone.
    """

    reason: str
    experiment: tuple[str, str] | None = None
    window: Window | None = None  # as Message.window: a holdout past it is stale, not exposed


class Outcome(NamedTuple):
    """What one channel did with a message: sent, failed or refused, with the channel's error code."""

    status: str
    error_code: str | None = None
    provider_id: str | None = None  # the provider's id of the message, to match its delivery receipt
