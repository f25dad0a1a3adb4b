"""Segments: definitions (cached per container), member items, the flip index and build progress.

A membership is two things written together: the segment id in the profile's `segments` set
(so evaluating a patient needs no other read) and a member item in the patient's partition,
listed under gsi1 `<clinic>#SEG#<segment>` for counts, pages and exports.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.errors import Conflict, NotFound
from chalicelib.store import db, keys
from chalicelib.store import plan as plans
from chalicelib.store.models import PatientItem, SegmentFlipItem, SegmentItem, SegmentMemberItem, bind
from chalicelib.store.records import Patient, optional_int, patient_of, patient_pk, profile_ref
from chalicelib.store.schema import DUE_INDEX, GSI1

CACHE_SECONDS = 60  # as the clinic settings; a build waits this long before it walks the patients
BUILDING_STATES = ("building", "deleting")  # while in one of them, a segment sits in the build index


class Segment(NamedTuple):
    """A segment's definition (rule, content path), status and the state of its build."""

    clinic_id: str
    segment_id: str
    name: str
    rule: dict[str, Any]
    created_at: str
    updated_at: str
    name_en: str | None = None
    description: str | None = None
    content_path: dict[str, Any] | None = None  # {cadence_days, steps: [...]}
    status: str = "ready"  # building | ready | deleting
    version: int = 1  # the rule's version; a build belongs to one
    build_cursor: dict[str, Any] | None = None  # the patient list's LastEvaluatedKey after the last page done
    processed: int = 0
    build_members: int = 0  # members among the patients processed
    total_estimate: int | None = None
    build_after: str | None = None  # when the open build (or clean-up) may start
    build_started_at: str | None = None
    built_at: str | None = None
    is_default: bool = False
    updated_by: str | None = None


class SegmentMember(NamedTuple):
    """One patient's membership, as the segment's member list shows it."""

    patient_id: str
    name_masked: str
    joined_at: str
    joined_on: str  # clinic-local day, the anchor of the segment's content path


_SEGMENT_FIELDS = tuple(name for name in Segment._fields if name != "clinic_id")


def _segment_of(clinic_id: str, item: SegmentItem) -> Segment:
    values = {name: getattr(item, name) for name in _SEGMENT_FIELDS}
    for name in ("version", "processed", "build_members"):
        values[name] = int(values[name] or 0)
    values["total_estimate"] = optional_int(item.total_estimate)
    values["is_default"] = bool(item.is_default)
    return Segment(clinic_id=clinic_id, **values)


def _segment_item(segment: Segment) -> SegmentItem:
    """The whole item of a segment; one in a build state carries its build index keys."""
    due = segment.status in BUILDING_STATES and segment.build_after is not None
    return SegmentItem(keys.clinic_pk(segment.clinic_id), keys.segment_sk(segment.segment_id),
                       due_pk=keys.segment_build_pk(segment.clinic_id) if due else None,
                       due_sk=keys.due_sort_of(segment.build_after, segment.segment_id)
                       if due and segment.build_after else None,
                       **{name: getattr(segment, name) for name in _SEGMENT_FIELDS})


def _segment_ref(segment: Segment) -> SegmentItem:
    return SegmentItem(keys.clinic_pk(segment.clinic_id), keys.segment_sk(segment.segment_id))


def _member_of(item: SegmentMemberItem) -> SegmentMember:
    return SegmentMember(item.patient_id, item.name_masked, item.joined_at, item.joined_on)


_cache: dict[str, tuple[float, list[Segment]]] = {}


def forget_cache(clinic_id: str | None = None) -> None:
    if clinic_id is None:
        _cache.clear()
    else:
        _cache.pop(clinic_id, None)


def definitions(clinic_id: str, *, fresh: bool = False) -> list[Segment]:
    """The clinic's segments, cached for a minute per container (one Query when the cache is cold)."""
    bind()
    hit = _cache.get(clinic_id)
    if hit and not fresh and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    items = [_segment_of(clinic_id, item)
             for item in SegmentItem.query(keys.clinic_pk(clinic_id), SegmentItem.sk.startswith(keys.SEGMENT))]
    _cache[clinic_id] = (time.monotonic(), items)
    return items


def for_build(clinic_id: str, segment_id: str) -> Segment | None:
    """A segment in the build index, whatever its status (a deleting one is cleaned up), read
    consistently; None when it is gone."""
    bind()
    try:
        return _segment_of(clinic_id, SegmentItem.get(keys.clinic_pk(clinic_id), keys.segment_sk(segment_id),
                                                      consistent_read=True))
    except DoesNotExist:
        return None


def get(clinic_id: str, segment_id: str, *, consistent: bool = False) -> Segment:
    bind()
    try:
        item = SegmentItem.get(keys.clinic_pk(clinic_id), keys.segment_sk(segment_id), consistent_read=consistent)
    except DoesNotExist as exc:
        raise NotFound("segment not found", code="segment_not_found") from exc
    if item.status == "deleting":
        raise NotFound("segment not found", code="segment_not_found")
    return _segment_of(clinic_id, item)


def new_segment(clinic_id: str, segment_id: str, **values: Any) -> Segment:
    """A segment's record before `create` writes it."""
    return Segment(clinic_id=clinic_id, segment_id=segment_id, **values)


def build_due(segment: Segment, after: str) -> Segment:
    """The segment with its build (or clean-up) starting once `after` has passed; written by
    `create`, `replace` or `mark_deleting`, it sits in the build index while building or deleting."""
    return segment._replace(build_after=after)


def create(segment: Segment) -> None:
    bind()
    try:
        _segment_item(segment).save(condition=SegmentItem.sk.does_not_exist())
    except PutError as exc:
        raise Conflict("a segment with this id exists", code="segment_exists", field="segment_id") from exc
    forget_cache(segment.clinic_id)


def replace(segment: Segment, read_version: int) -> None:
    """Save an edited segment, only if nobody changed it since it was read."""
    bind()
    try:
        _segment_item(segment).save(condition=(SegmentItem.version == read_version)
                                    & (SegmentItem.status != "deleting"))
    except PutError as exc:
        raise Conflict("the segment changed meanwhile, reload it", code="concurrent_change") from exc
    forget_cache(segment.clinic_id)


def mark_deleting(segment: Segment, after: str, at: str) -> None:
    bind()
    deleting = segment._replace(status="deleting", build_after=after, build_cursor=None, processed=0, updated_at=at)
    _segment_item(deleting).save(condition=SegmentItem.sk.exists())
    forget_cache(segment.clinic_id)


def remove(segment: Segment) -> None:
    bind()
    _segment_ref(segment).delete()
    forget_cache(segment.clinic_id)


# --- membership writes ----------------------------------------------------------------------------


@dataclass
class Change:
    """What one evaluation changes for one patient; empty when nothing does."""

    joins: list[str] = field(default_factory=list)
    leaves: list[str] = field(default_factory=list)
    flip_at: str | None = None
    flip_changed: bool = False
    # other profile attributes set with it, by name; None or [] removes one
    profile_sets: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.joins or self.leaves or self.flip_changed or self.profile_sets)


def profile_actions(change: Change, current: set[str]) -> list[Action]:
    """The profile's update: joins added to and leaves taken from its `segments` set.

    One update expression cannot both add to and delete from a set, so a change with both sets
    the whole new set.
    """
    actions: list[Action] = []
    for name, value in change.profile_sets.items():
        attribute = getattr(PatientItem, name)
        actions.append(attribute.set(value) if value not in (None, []) else attribute.remove())
    if change.joins and change.leaves:
        after = (set(current) | set(change.joins)) - set(change.leaves)
        actions.append(PatientItem.segments.set(after) if after else PatientItem.segments.remove())
    elif change.joins:
        actions.append(PatientItem.segments.add(set(change.joins)))
    elif change.leaves:
        actions.append(PatientItem.segments.delete(set(change.leaves)))
    if change.flip_changed:
        actions.append(PatientItem.seg_flip_at.set(change.flip_at) if change.flip_at
                       else PatientItem.seg_flip_at.remove())
    if actions:
        actions.append(PatientItem.seg_version.add(1))
    return actions


def profile_step(patient: Patient, change: Change) -> plans.Step:
    """The profile's update of a change as a plan step (merged with the plan's other profile updates)."""
    return plans.update(profile_ref(patient), profile_actions(change, set(patient.segments or ())), "segments")


def member_writes(patient: Patient, change: Change, joined_at: str, joined_on: str) -> list[db.Write | Delete]:
    """The items besides the profile: member items joined or left, and the flip index entry."""
    pk = patient_pk(patient)
    writes: list[db.Write | Delete] = []
    for segment_id in change.joins:
        item = SegmentMemberItem(pk, keys.segment_member_sk(segment_id),
                                 gsi1pk=keys.segment_members_pk(patient.clinic_id, segment_id),
                                 gsi1sk=keys.segment_join_sort(joined_at, patient.patient_id), patient_id=patient.patient_id,
                                 segment_id=segment_id, name_masked=patient.name_masked, joined_at=joined_at,
                                 joined_on=joined_on)
        writes.append(db.Write(item, f"seg:join:{segment_id}"))
    for segment_id in change.leaves:
        writes.append(Delete(SegmentMemberItem(pk, keys.segment_member_sk(segment_id)), f"seg:leave:{segment_id}"))
    if change.flip_changed:
        if change.flip_at:
            flip = SegmentFlipItem(pk, keys.SEGMENT_FLIP_SK, due_pk=keys.segment_due_pk(patient.clinic_id),
                                   due_sk=keys.due_sort_of(change.flip_at, patient.patient_id), patient_id=patient.patient_id,
                                   flip_at=change.flip_at)
            writes.append(db.Write(flip, "seg:flip"))
        else:
            writes.append(Delete(SegmentFlipItem(pk, keys.SEGMENT_FLIP_SK), "seg:flip"))
    return writes


@dataclass
class Delete:
    """A delete for a transaction (db.Write puts or updates)."""

    item: Model
    label: str


def add_to(txn: db.Transaction, writes: Iterable[db.Write | Delete]) -> None:
    for write in writes:
        if isinstance(write, Delete):
            txn.delete(write.item, label=write.label)
        else:
            txn.add(write)


def write_change(patient: Patient, change: Change, joined_at: str, joined_on: str) -> bool:
    """One transaction: the profile (guarded by the `seg_version` it was read with) and the items.

    Returns False when the profile's memberships changed since it was read (evaluate it again).
    """
    read_version = patient.seg_version
    guard = (PatientItem.seg_version.does_not_exist() if read_version is None
             else PatientItem.seg_version == read_version)
    try:
        with db.transaction() as txn:
            txn.update(profile_ref(patient), actions=profile_actions(change, set(patient.segments or ())),
                       condition=PatientItem.pk.exists() & guard,
                       label="profile")
            add_to(txn, member_writes(patient, change, joined_at, joined_on))
        return True
    except db.Cancelled as exc:
        if exc.conditional("profile"):
            return False
        raise


# --- reads ------------------------------------------------------------------------------------------


def patient(clinic_id: str, patient_id: str) -> Patient | None:
    bind()
    try:
        return patient_of(PatientItem.get(keys.patient_pk(clinic_id, patient_id), keys.PROFILE_SK, consistent_read=True))
    except DoesNotExist:
        return None


def members_page(clinic_id: str, segment_id: str, limit: int,
                 cursor: str | None) -> tuple[list[SegmentMember], str | None]:
    """Members newest first, one page by a signed cursor."""
    bind()
    scope = f"segment:{clinic_id}:{segment_id}"
    result = SegmentMemberItem.by_gsi1.query(keys.segment_members_pk(clinic_id, segment_id), scan_index_forward=False,
                                             limit=limit, page_size=limit,
                                             last_evaluated_key=db.decode_cursor(cursor, scope))
    items = [_member_of(item) for item in result]
    return items, db.encode_cursor(result.last_evaluated_key if len(items) == limit else None, scope)


def all_members(clinic_id: str, segment_id: str, page_size: int = 500) -> Iterator[SegmentMember]:
    bind()
    for item in SegmentMemberItem.by_gsi1.query(keys.segment_members_pk(clinic_id, segment_id), page_size=page_size):
        yield _member_of(item)


def count_members(clinic_id: str, segment_id: str) -> int:
    """Select=COUNT over the segment's index partition (pages of up to 1 MB)."""
    params = {"IndexName": GSI1, "KeyConditionExpression": "gsi1pk = :pk", "Select": "COUNT",
              "ExpressionAttributeValues": {":pk": {"S": keys.segment_members_pk(clinic_id, segment_id)}}}
    total = 0
    while True:
        page = db.query_raw(**params)
        total += int(page.get("Count", 0))
        if not page.get("LastEvaluatedKey"):
            return total
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def patients_page(clinic_id: str, start_key: dict[str, Any] | None,
                  page_size: int) -> tuple[list[Patient], dict[str, Any] | None]:
    """One page of the clinic's patient list (gsi1 projects the whole profile), oldest first."""
    bind()
    result = PatientItem.by_gsi1.query(keys.patients_list_pk(clinic_id), limit=page_size, page_size=page_size,
                                       last_evaluated_key=start_key)
    items = [patient_of(item) for item in result]
    return items, (result.last_evaluated_key if len(items) == page_size else None)


def _due_page(due_pk: str, until: str, start_key: dict[str, Any] | None,
              page_size: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    params: dict[str, Any] = {"IndexName": DUE_INDEX, "KeyConditionExpression": "due_pk = :pk AND due_sk <= :now",
                              "ExpressionAttributeValues": {":pk": {"S": due_pk}, ":now": {"S": until + "~"}},
                              "Limit": page_size}
    if start_key:
        params["ExclusiveStartKey"] = start_key
    page = db.query_raw(**params)
    return page.get("Items", []), page.get("LastEvaluatedKey")


def due_flips_page(clinic_id: str, now_iso: str, start_key: dict[str, Any] | None,
                   page_size: int) -> tuple[list[str], dict[str, Any] | None]:
    """The patients whose next flip is due by now (the due index holds keys only), and where the
    next page starts (None after the last)."""
    items, start = _due_page(keys.segment_due_pk(clinic_id), now_iso, start_key, page_size)
    return [keys.due_sort_last(raw["due_sk"]["S"]) for raw in items], start


def due_builds(clinic_id: str, now_iso: str) -> list[str]:
    """Ids of segments whose build (or clean-up) may run now."""
    items, start = _due_page(keys.segment_build_pk(clinic_id), now_iso, None, 100)
    ids = [raw["sk"]["S"][len(keys.SEGMENT):] for raw in items]
    while start:
        more, start = _due_page(keys.segment_build_pk(clinic_id), now_iso, start, 100)
        ids += [raw["sk"]["S"][len(keys.SEGMENT):] for raw in more]
    return ids


def save_progress(segment: Segment, *, cursor: dict[str, Any] | None, processed: int, members: int, done: bool,
                  at: str) -> bool:
    """Record a finished page of a build, only if the segment is still at the version being built."""
    actions: list[Action] = [SegmentItem.build_cursor.set(cursor) if cursor else SegmentItem.build_cursor.remove(),
                  SegmentItem.processed.set(processed), SegmentItem.build_members.set(members),
                  SegmentItem.updated_at.set(at)]
    if done:
        actions += [SegmentItem.status.set("ready"), SegmentItem.built_at.set(at), SegmentItem.due_pk.remove(),
                    SegmentItem.due_sk.remove()]
        if segment.total_estimate is None or segment.total_estimate < processed:
            actions.append(SegmentItem.total_estimate.set(processed))
    try:
        _segment_ref(segment).update(actions=actions, condition=(SegmentItem.version == segment.version)
                                     & (SegmentItem.status == segment.status))
    except UpdateError:
        return False
    if done:
        forget_cache(segment.clinic_id)
    return True


def start_build(segment: Segment, at: str, estimate: float | None) -> bool:
    try:
        _segment_ref(segment).update(
            actions=[SegmentItem.build_started_at.set(at), SegmentItem.total_estimate.set(estimate)
                     if estimate is not None else SegmentItem.total_estimate.remove()],
            condition=SegmentItem.version == segment.version)
        return True
    except UpdateError:
        return False


def remove_member(clinic_id: str, patient_id: str, segment_id: str) -> None:
    """Take one membership away (the clean-up of a deleted segment)."""
    pk = keys.patient_pk(clinic_id, patient_id)
    try:
        with db.transaction() as txn:
            txn.update(PatientItem(pk, keys.PROFILE_SK), actions=[PatientItem.segments.delete({segment_id}),
                                                            PatientItem.seg_version.add(1)],
                       condition=PatientItem.pk.exists(), label="profile")
            txn.delete(SegmentMemberItem(pk, keys.segment_member_sk(segment_id)), label="member")
    except db.Cancelled as exc:
        if not exc.conditional("profile"):
            raise
        SegmentMemberItem(pk, keys.segment_member_sk(segment_id)).delete()  # the profile is gone (erased)
