"""Risk model storage: the clinic's patient walk and history reads for training, model versions,
the last run, drop-out curves, and the scores on profiles with the at-risk list (gsi1 <clinic>#RISK).

- model: pk=<clinic> sk=RISKMODEL#<000001>; the last KEEP_VERSIONS are kept
- run: pk=<clinic> sk=RISKRUN; drop-out curves: pk=<clinic> sk=DROPOUT
- feature summary: pk=<clinic>#P#<patient> sk=RISKSUM (the stream keeps it; due index
  <clinic>#RISKDUE while it is to be scored again; gsi1 <clinic>#RISKSUM with analytics consent)
- state: pk=<clinic> sk=RISKSTATE (summaries built, an unfinished pass's cursor)
- score: on the profile (risk_score, risk_factors, risk_model_version) and the entry
  pk=<clinic>#P#<patient> sk=RISK in gsi1 <clinic>#RISK / <inverted score>#<patient>; a patient not
  expected back within the horizon has the version but no score, and no entry
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.config import settings
from chalicelib.domain.clock import parse_iso
from chalicelib.errors import NotFound
from chalicelib.store import db, keys
from chalicelib.store.models import (
    DropoutItem,
    ProfileRiskFields,
    RiskEntryItem,
    RiskModelItem,
    RiskRunItem,
    RiskStateItem,
    RiskSummaryItem,
    bind,
)
from chalicelib.store.records import optional_int
from chalicelib.store.schema import DUE_INDEX, GSI1

KEEP_VERSIONS = 3

_ROW_FIELDS = ("patient_id", "conditions", "district", "created_at", "name_masked", "risk_score",
               "risk_model_version", "risk_factors", "consents")
# what the training reads of a patient's own items; the sort key says what each item is
_HISTORY_FIELDS = ("sk", "visit_date", "next_due_date", "local_date", "entry_id", "at", "read_at", "outcome", "day")


def _names(fields: Iterable[str]) -> tuple[str, dict[str, str]]:
    aliases = {f"#f{i}": name for i, name in enumerate(fields)}
    return ", ".join(aliases), aliases


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A raw DynamoDB item as plain values (strings, numbers, lists)."""
    return db.plain_item(item)


def patient_rows(clinic_id: str) -> Iterator[dict[str, Any]]:
    """The clinic's patients from its list on gsi1 (a Query, page by page), with their current score."""
    projection, aliases = _names(_ROW_FIELDS)
    params: dict[str, Any] = {"IndexName": GSI1, "KeyConditionExpression": "gsi1pk = :pk",
                              "ExpressionAttributeValues": {":pk": {"S": keys.patients_list_pk(clinic_id)}},
                              "ProjectionExpression": projection, "ExpressionAttributeNames": aliases, "Limit": 500}
    for page in db.query_pages(**params):
        for item in page.get("Items", []):
            yield plain(item)


@dataclass
class ActivityHistory:
    """What the model learns from in a patient's own items, in stored form (UTC times, clinic days)."""

    visits: list[tuple[str, str | None]] = field(default_factory=list)  # (visit day, requested revisit day)
    checkin_days: list[str] = field(default_factory=list)
    share_times: list[str] = field(default_factory=list)  # when a share earned points
    inbox_read_times: list[str] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (day, follow-up outcome)



def activity_history(clinic_id: str, patient_id: str) -> ActivityHistory:
    """The patient's visits, check-ins, shares, inbox reads and follow-up calls: one partition
    Query of the attributes the features use, each item sorted by what its key says it is."""
    found = ActivityHistory()
    for item in history_items(clinic_id, patient_id):
        sk = item.get("sk", "")
        if sk.startswith(keys.VISIT) and item.get("visit_date"):
            found.visits.append((item["visit_date"], item.get("next_due_date") or None))
        elif sk.startswith(keys.CHECKIN_PREFIX) and item.get("local_date"):
            found.checkin_days.append(item["local_date"])
        elif sk.startswith(keys.LEDGER_PREFIX) and str(item.get("entry_id", "")).startswith("share:") and item.get("at"):
            found.share_times.append(item["at"])
        elif sk.startswith(keys.INBOX_PREFIX) and item.get("read_at"):
            found.inbox_read_times.append(item["read_at"])
        elif sk.startswith(keys.FOLLOWUP_OUTCOME) and item.get("day") and item.get("outcome"):
            found.calls.append((item["day"], item["outcome"]))
    return found


def history_items(clinic_id: str, patient_id: str) -> list[dict[str, Any]]:
    """The patient's own items (one partition Query), only the attributes the features use."""
    projection, aliases = _names(_HISTORY_FIELDS)
    params: dict[str, Any] = {"KeyConditionExpression": "pk = :pk",
                              "ExpressionAttributeValues": {":pk": {"S": keys.patient_pk(clinic_id, patient_id)}},
                              "ProjectionExpression": projection, "ExpressionAttributeNames": aliases}
    items: list[dict[str, Any]] = []
    while True:
        page = db.query_raw(**params)
        items.extend(plain(item) for item in page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# -- models, runs, curves ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskModel:
    """One trained version of the clinic's model (`domain.risk.Model.as_dict()`) with its evaluation."""

    version: int
    trained_at: str
    model: dict[str, Any]
    counts: dict[str, Any]  # examples, lapsed, fit, calibrate, evaluate
    horizon_days: int
    cutoffs: list[str] = field(default_factory=list)
    auc: float | None = None  # on the hold-out patients
    baseline_auc: float | None = None  # days since the last visit alone, same hold-out
    evaluation: dict[str, Any] | None = None  # domain.risk.Evaluation.as_dict()


@dataclass(frozen=True)
class RiskRun:
    """The last training run: trained, or why no model (too_few_examples, one_class)."""

    at: str
    status: str
    reason: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    model_version: int | None = None
    scored: int = 0


class DropoutCurves(NamedTuple):
    """The drop-out curves per condition, as last computed."""

    computed_at: str
    conditions: dict[str, Any]


class ProfileRisk(NamedTuple):
    """The risk attributes of a patient's profile (no score: not scored, or not due within the horizon)."""

    risk_score: float | None = None
    risk_factors: list[dict[str, Any]] | None = None
    risk_model_version: int | None = None
    risk_scored_at: str | None = None
    followup_flag: str | None = None
    analytics_consent: bool = False


def _model_of(item: RiskModelItem) -> RiskModel:
    return RiskModel(version=int(item.version), trained_at=item.trained_at, model=item.model,
                     counts=dict(item.counts or {}), horizon_days=int(item.horizon_days),
                     cutoffs=list(item.cutoffs or []), auc=item.auc, baseline_auc=item.baseline_auc,
                     evaluation=item.evaluation)


def _versions(clinic_id: str, limit: int | None = None) -> list[RiskModelItem]:
    bind()
    return list(RiskModelItem.query(keys.clinic_pk(clinic_id), RiskModelItem.sk.startswith(keys.RISK_MODEL),
                                    scan_index_forward=False, limit=limit))


def current_model(clinic_id: str) -> RiskModel | None:
    found = _versions(clinic_id, limit=1)
    return _model_of(found[0]) if found else None


def model_versions(clinic_id: str) -> list[RiskModel]:
    return [_model_of(item) for item in _versions(clinic_id)]


def save_model(clinic_id: str, *, trained_at: str, model: dict[str, Any], auc: float | None,
               baseline_auc: float | None, counts: dict[str, Any], cutoffs: list[str],
               horizon_days: int, evaluation: dict[str, Any] | None = None) -> RiskModel:
    """Store a new version (the latest + 1, written once) and drop versions beyond the last KEEP_VERSIONS."""
    bind()
    for _ in range(3):
        latest = current_model(clinic_id)
        version = int(latest.version) + 1 if latest else 1
        item = RiskModelItem(keys.clinic_pk(clinic_id), keys.risk_model_sk(version), version=version, trained_at=trained_at,
                             model=model, auc=auc, baseline_auc=baseline_auc, counts=counts, cutoffs=cutoffs,
                             horizon_days=horizon_days, evaluation=evaluation)
        try:
            item.save(condition=RiskModelItem.sk.does_not_exist())
            break
        except PutError:
            continue  # another run took this version number meanwhile
    else:
        raise RuntimeError("could not allocate a model version")
    for old in _versions(clinic_id)[KEEP_VERSIONS:]:
        old.delete()
    return _model_of(item)


def save_run(clinic_id: str, *, at: str, status: str, reason: str | None, counts: dict[str, Any],
             model_version: int | None,
             scored: int) -> None:
    bind()
    RiskRunItem(keys.clinic_pk(clinic_id), keys.RISK_RUN_SK, at=at, status=status, reason=reason, counts=counts,
                model_version=model_version, scored=scored).save()


def last_run(clinic_id: str) -> RiskRun | None:
    bind()
    try:
        item = RiskRunItem.get(keys.clinic_pk(clinic_id), keys.RISK_RUN_SK)
    except DoesNotExist:
        return None
    return RiskRun(item.at, item.status, item.reason, dict(item.counts or {}),
                   optional_int(item.model_version), int(item.scored or 0))


def save_dropout(clinic_id: str, computed_at: str, conditions: dict[str, Any]) -> None:
    bind()
    DropoutItem(keys.clinic_pk(clinic_id), keys.DROPOUT_SK, computed_at=computed_at, conditions=conditions).save()


def load_dropout(clinic_id: str) -> DropoutCurves | None:
    bind()
    try:
        item = DropoutItem.get(keys.clinic_pk(clinic_id), keys.DROPOUT_SK)
    except DoesNotExist:
        return None
    return DropoutCurves(item.computed_at, item.conditions)


# -- scores ---------------------------------------------------------------------------------------


TRANSACTION_PATIENTS = 50  # two items per patient; one TransactWriteItems holds up to 100
SUMMARY_TRANSACTION_PATIENTS = 33  # with the patient's feature summary: three items per patient
CONFLICT_ATTEMPTS = 4


@dataclass(frozen=True)
class ScoreWrite:
    """One patient's score under a model version. `score` None: the patient is not expected back
    within the horizon, so the profile keeps the version and time but no score or factors, and the
    patient leaves the at-risk list."""

    patient_id: str
    score: float | None
    factors: list[dict[str, Any]] = field(default_factory=list)
    name_masked: str | None = None
    conditions: list[str] = field(default_factory=list)
    forget: bool = False  # no analytics consent: no score, factors, version or time kept, no entry


def _add_score(txn: db.Transaction, clinic_id: str, write: ScoreWrite, version: int, at: str,
               summary: bool = False) -> None:
    """The profile's score and the at-risk list entry (the entry moves with the score); with
    `summary`, the copy of the score on the patient's feature summary too."""
    pk = keys.patient_pk(clinic_id, write.patient_id)
    if summary:
        copy: list[Action] = ([RiskSummaryItem.score.set(write.score), RiskSummaryItem.score_version.set(version)]
                              if write.score is not None else [RiskSummaryItem.score.remove()])
        if write.score is None:
            copy.append(RiskSummaryItem.score_version.remove() if write.forget
                        else RiskSummaryItem.score_version.set(version))
        copy.append(RiskSummaryItem.score_factors.set(write.factors) if write.score is not None and write.factors
                    else RiskSummaryItem.score_factors.remove())
        txn.update(RiskSummaryItem(pk, keys.RISK_SUMMARY_SK), actions=copy,
                   condition=RiskSummaryItem.pk.exists() & RiskSummaryItem.erased.does_not_exist(),
                   label=f"summary:{write.patient_id}")
    profile = ProfileRiskFields(pk, keys.PROFILE_SK)
    actions: list[Action]
    if write.score is None:
        actions = [ProfileRiskFields.risk_score.remove(), ProfileRiskFields.risk_factors.remove()]
    else:
        actions = [ProfileRiskFields.risk_score.set(write.score), ProfileRiskFields.risk_factors.set(write.factors)]
    if write.forget:
        actions += [ProfileRiskFields.risk_model_version.remove(), ProfileRiskFields.risk_scored_at.remove()]
    else:
        actions += [ProfileRiskFields.risk_model_version.set(version), ProfileRiskFields.risk_scored_at.set(at)]
    txn.update(profile, actions=actions, condition=ProfileRiskFields.pk.exists(), label=f"profile:{write.patient_id}")
    if write.score is None:
        txn.delete(RiskEntryItem(pk, keys.RISK_ENTRY_SK), label=f"entry:{write.patient_id}")
    else:
        txn.save(RiskEntryItem(pk, keys.RISK_ENTRY_SK, gsi1pk=keys.risk_list_pk(clinic_id),
                               gsi1sk=keys.risk_sort(write.score, write.patient_id), patient_id=write.patient_id,
                               name_masked=write.name_masked, conditions=write.conditions, risk_score=write.score,
                               risk_factors=write.factors, risk_model_version=version, scored_at=at),
                 label=f"entry:{write.patient_id}")


def write_scores(clinic_id: str, writes: Sequence[ScoreWrite], *, version: int, at: str,
                 summaries: bool = False) -> list[str]:
    """Many patients' scores, TRANSACTION_PATIENTS to a TransactWriteItems: each patient's profile
    and entry are written together, as for one patient (with `summaries`, and the copy on their
    feature summary: SUMMARY_TRANSACTION_PATIENTS to a transaction). A patient erased meanwhile
    (its profile's or summary's condition fails) is left out and the rest of its transaction is
    sent again; a transaction cancelled by a concurrent write is sent again as it was. Returns the
    ids of the patients written, in order."""
    bind()
    written: list[str] = []
    size = SUMMARY_TRANSACTION_PATIENTS if summaries else TRANSACTION_PATIENTS
    for start in range(0, len(writes), size):
        chunk = list(writes[start:start + size])
        conflicts = 0
        while chunk:
            try:
                with db.transaction() as txn:
                    for write in chunk:
                        _add_score(txn, clinic_id, write, version, at, summaries)
            except db.Cancelled as exc:
                gone = {label.partition(":")[2] for label, reason in exc.failed.items()
                        if label.startswith(("profile:", "summary:")) and reason == "ConditionalCheckFailed"}
                if gone:
                    chunk = [write for write in chunk if write.patient_id not in gone]
                    continue
                conflicts += 1
                if exc.retryable and conflicts < CONFLICT_ATTEMPTS:
                    time.sleep(0.05 * conflicts)
                    continue
                raise
            written += [write.patient_id for write in chunk]
            break
    return written


def profile_fields(clinic_id: str, patient_id: str) -> ProfileRisk:
    bind()
    try:
        item = ProfileRiskFields.get(keys.patient_pk(clinic_id, patient_id), keys.PROFILE_SK, attributes_to_get=[
            "pk", "sk", "risk_score", "risk_factors", "risk_model_version", "risk_scored_at", "followup_flag",
            "consents"])
    except DoesNotExist as exc:
        raise NotFound("patient not found", code="patient_not_found") from exc
    raw = item.consents.as_dict() if isinstance(item.consents, MapAttribute) else dict(item.consents or {})
    analytics = raw.get("analytics") or {}
    return ProfileRisk(item.risk_score, item.risk_factors,
                       optional_int(item.risk_model_version),
                       item.risk_scored_at, item.followup_flag, bool(analytics.get("granted")))


def risk_page(clinic_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The clinic's scored patients, highest risk first, by signed cursor."""
    bind()
    scope = f"risk:{clinic_id}"
    result = RiskEntryItem.by_gsi1.query(keys.risk_list_pk(clinic_id), limit=limit, page_size=limit,
                                         last_evaluated_key=db.decode_cursor(cursor, scope))
    rows = [{"patient_id": e.patient_id, "name_masked": e.name_masked, "conditions": list(e.conditions or []),
             "risk_score": float(e.risk_score), "risk_factors": list(e.risk_factors or []),
             "risk_model_version": int(e.risk_model_version), "scored_at": e.scored_at} for e in result]
    return rows, db.encode_cursor(result.last_evaluated_key if len(rows) == limit else None, scope)


def phones_of(clinic_id: str, patient_ids: Sequence[str]) -> dict[str, str]:
    """The encrypted phone of each patient (one BatchGetItem per 100), for lists that show it masked."""
    found = db.batch_get([(keys.patient_pk(clinic_id, pid), keys.PROFILE_SK) for pid in patient_ids],
                         attributes=("patient_id", "phone_enc"))
    return {item["patient_id"]["S"]: item["phone_enc"]["S"] for item in found.values()
            if "patient_id" in item and "phone_enc" in item}


def table_name() -> str:
    return settings().table_name


# -- feature summaries (docs/risk.md, "The feature summary") ---------------------------------------

APPLIED_KEPT = 16  # event ids of the last changes a summary remembers (a retried batch repeats a few)
ERASED_MARKER_DAYS = 30  # longer than a stream keeps its records (24 hours)


@dataclass(frozen=True)
class Summary:
    """A patient's risk feature summary as stored (facts: chalicelib.domain.risk_summary)."""

    patient_id: str
    facts: dict[str, Any]
    rev: int = 0
    applied: tuple[str, ...] = ()
    erased: bool = False
    rebuild: bool = False
    due_at: str | None = None  # when the patient is due to be scored again (None: not in the due index)
    score: float | None = None
    score_version: int | None = None
    score_factors: list[dict[str, Any]] | None = None


def _summary_of(raw: dict[str, Any]) -> Summary:
    item = plain(raw)
    facts = item.get("facts")
    factors = item.get("score_factors")
    return Summary(patient_id=str(item.get("patient_id") or keys.patient_of(item["pk"])),
                   facts=json.loads(facts) if isinstance(facts, str) else dict(facts or {}),
                   rev=int(item.get("rev") or 0), applied=tuple(item.get("applied") or ()),
                   erased=bool(item.get("erased")), rebuild=bool(item.get("rebuild")),
                   due_at=str(item["due_sk"]).rsplit("#", 1)[0] if item.get("due_sk") else None,
                   score=float(item["score"]) if item.get("score") is not None else None,
                   score_version=optional_int(item.get("score_version")),
                   score_factors=json.loads(factors) if isinstance(factors, str) else factors)


def is_summary(sk: str) -> bool:
    """Whether a sort key is a feature summary's (the consumer ignores its own writes)."""
    return sk == keys.RISK_SUMMARY_SK




def get_summary(clinic_id: str, patient_id: str) -> Summary | None:
    """One summary, read consistently (the consumer writes what it read plus one change)."""
    found = db.batch_get([(keys.patient_pk(clinic_id, patient_id), keys.RISK_SUMMARY_SK)], consistent=True)
    raw = next(iter(found.values()), None)
    return _summary_of(raw) if raw else None


def summaries_of(clinic_id: str, patient_ids: Sequence[str]) -> dict[str, Summary]:
    """The summaries of these patients (BatchGetItem, 100 a call); missing ones are left out."""
    found = db.batch_get([(keys.patient_pk(clinic_id, pid), keys.RISK_SUMMARY_SK) for pid in patient_ids])
    out = {}
    for raw in found.values():
        summary = _summary_of(raw)
        out[summary.patient_id] = summary
    return out


def write_summary(clinic_id: str, patient_id: str, facts: dict[str, Any], *, expect_rev: int | None,
                  applied: Sequence[str], at: str, due_at: str | None, bucket: int,
                  score: tuple[float | None, int | None, Any] | None = None, rebuild: bool = False) -> bool:
    """Write a summary's facts read at `expect_rev` (None: there was none), one revision on;
    `due_at` puts the patient in the due index at that time; `score` (score, version, factors)
    sets the copy of the profile's score (the backfill); `rebuild` says the facts are to be built
    from the partition (consent just granted: the summary stays out of the sample until then).
    Returns False when another write came first (read again and retry)."""
    bind()
    ref = RiskSummaryItem(keys.patient_pk(clinic_id, patient_id), keys.RISK_SUMMARY_SK)
    rev = (expect_rev or 0) + 1
    actions: list[Action] = [RiskSummaryItem.patient_id.set(patient_id), RiskSummaryItem.facts.set(facts),
                             RiskSummaryItem.rev.set(rev), RiskSummaryItem.applied.set(list(applied)[-APPLIED_KEPT:]),
                             RiskSummaryItem.updated_at.set(at)]
    actions.append(RiskSummaryItem.rebuild.set(True) if rebuild else RiskSummaryItem.rebuild.remove())
    if (facts.get("p") or {}).get("analytics") and not rebuild:
        actions += [RiskSummaryItem.gsi1pk.set(keys.risk_summaries_pk(clinic_id)),
                    RiskSummaryItem.gsi1sk.set(keys.risk_summary_sort(bucket, patient_id))]
    else:
        actions += [RiskSummaryItem.gsi1pk.remove(), RiskSummaryItem.gsi1sk.remove()]
    if due_at is not None:
        actions += [RiskSummaryItem.due_pk.set(keys.risk_due_pk(clinic_id)),
                    RiskSummaryItem.due_sk.set(keys.due_sort_of(due_at, patient_id))]
    if score is not None:
        value, version, factors = score
        actions += [RiskSummaryItem.score.set(value) if value is not None else RiskSummaryItem.score.remove(),
                    RiskSummaryItem.score_version.set(version) if version is not None
                    else RiskSummaryItem.score_version.remove(),
                    RiskSummaryItem.score_factors.set(factors) if factors else RiskSummaryItem.score_factors.remove()]
    return _update_at_rev(ref, actions, expect_rev)


def _update_at_rev(ref: RiskSummaryItem, actions: list[Action], expect_rev: int | None) -> bool:
    """Update the summary if it is still at the revision read (absent when None); False if not."""
    condition = (RiskSummaryItem.pk.does_not_exist() if expect_rev is None
                 else RiskSummaryItem.rev == expect_rev)
    try:
        ref.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if db.condition_failed(exc):
            return False
        raise
    return True


def erase_summary(clinic_id: str, patient_id: str, *, expect_rev: int | None, applied: Sequence[str],
                  at: str) -> bool:
    """The patient was erased: no facts, score, index entry or due time are kept, only a marker
    that makes later (late or repeated) changes of their items no-ops, until the table's TTL
    removes it after ERASED_MARKER_DAYS (a stream keeps its records for 24 hours)."""
    bind()
    ref = RiskSummaryItem(keys.patient_pk(clinic_id, patient_id), keys.RISK_SUMMARY_SK)
    expires = int(parse_iso(at).timestamp()) + ERASED_MARKER_DAYS * 86400
    actions: list[Action] = [RiskSummaryItem.patient_id.set(patient_id), RiskSummaryItem.erased.set(True),
                             RiskSummaryItem.expires_at.set(expires),
                             RiskSummaryItem.rev.set((expect_rev or 0) + 1),
                             RiskSummaryItem.applied.set(list(applied)[-APPLIED_KEPT:]),
                             RiskSummaryItem.updated_at.set(at), RiskSummaryItem.facts.remove(),
                             RiskSummaryItem.gsi1pk.remove(), RiskSummaryItem.gsi1sk.remove(),
                             RiskSummaryItem.due_pk.remove(), RiskSummaryItem.due_sk.remove(),
                             RiskSummaryItem.score.remove(), RiskSummaryItem.score_version.remove(),
                             RiskSummaryItem.score_factors.remove()]
    return _update_at_rev(ref, actions, expect_rev)


def move_due(clinic_id: str, summary: Summary, next_at: str | None) -> bool:
    """After scoring: when the patient is next due (None: not until something changes). Only if
    the facts are still those scored (`rev`); otherwise a change came meanwhile and the patient
    stays due for the next run. Returns whether it moved."""
    bind()
    ref = RiskSummaryItem(keys.patient_pk(clinic_id, summary.patient_id), keys.RISK_SUMMARY_SK)
    actions: list[Action] = ([RiskSummaryItem.due_sk.set(keys.due_sort_of(next_at, summary.patient_id)),
                              RiskSummaryItem.due_pk.set(keys.risk_due_pk(clinic_id))] if next_at
                             else [RiskSummaryItem.due_pk.remove(), RiskSummaryItem.due_sk.remove()])
    try:
        ref.update(actions=actions, condition=(RiskSummaryItem.rev == summary.rev)
                   & RiskSummaryItem.erased.does_not_exist())
    except UpdateError as exc:
        if not db.condition_failed(exc):
            raise
        return False
    return True


def forget_summary_score(clinic_id: str, patient_id: str) -> None:
    """The summary's copy of a score removed with the score (analytics consent withdrawn)."""
    bind()
    with db.unless_condition_fails():
        RiskSummaryItem(keys.patient_pk(clinic_id, patient_id), keys.RISK_SUMMARY_SK).update(
            actions=[RiskSummaryItem.score.remove(), RiskSummaryItem.score_version.remove(),
                     RiskSummaryItem.score_factors.remove()], condition=RiskSummaryItem.pk.exists())


def record_scored(clinic_id: str, scored: int) -> None:
    """The number of scores the run wrote, on the run item (written before scoring began)."""
    bind()
    with db.unless_condition_fails():
        RiskRunItem(keys.clinic_pk(clinic_id), keys.RISK_RUN_SK).update(
            actions=[RiskRunItem.scored.set(scored)], condition=RiskRunItem.pk.exists())


def due_summaries_page(clinic_id: str, until_iso: str, start_key: dict[str, Any] | None,
                       page_size: int = 100) -> tuple[list[str], dict[str, Any] | None]:
    """Patients whose score is due again by `until_iso` (the due index holds keys only), and
    where the next page starts (None after the last)."""
    params: dict[str, Any] = {"IndexName": DUE_INDEX, "KeyConditionExpression": "due_pk = :pk AND due_sk <= :now",
                              "ExpressionAttributeValues": {":pk": {"S": keys.risk_due_pk(clinic_id)},
                                                            ":now": {"S": until_iso + "~"}},
                              "Limit": page_size}
    if start_key:
        params["ExclusiveStartKey"] = start_key
    page = db.query_raw(**params)
    return [keys.due_sort_last(raw["due_sk"]["S"]) for raw in page.get("Items", [])], page.get("LastEvaluatedKey")


def summary_page(clinic_id: str, start_key: dict[str, Any] | None, page_size: int = 1000,
                 below_bucket: int | None = None) -> tuple[list[Summary], dict[str, Any] | None]:
    """One page of the summaries of the clinic's patients with analytics consent, in sample
    bucket order (gsi1 projects the whole item); `below_bucket` stops at that bucket."""
    condition = "gsi1pk = :pk"
    values: dict[str, Any] = {":pk": {"S": keys.risk_summaries_pk(clinic_id)}}
    if below_bucket is not None:
        condition += " AND gsi1sk < :end"
        values[":end"] = {"S": f"{below_bucket:04d}"}
    params: dict[str, Any] = {"IndexName": GSI1, "KeyConditionExpression": condition,
                              "ExpressionAttributeValues": values, "Limit": page_size}
    if start_key:
        params["ExclusiveStartKey"] = start_key
    page = db.query_raw(**params)
    return [_summary_of(raw) for raw in page.get("Items", [])], page.get("LastEvaluatedKey")


@dataclass
class RiskState:
    summaries_ready: bool = False
    phase: str | None = None
    cursor: dict[str, Any] | None = None
    rescore_version: int | None = None


def load_state(clinic_id: str) -> RiskState:
    bind()
    try:
        item = RiskStateItem.get(keys.clinic_pk(clinic_id), keys.RISK_STATE_SK, consistent_read=True)
    except DoesNotExist:
        return RiskState()
    return RiskState(bool(item.summaries_ready), item.phase, item.cursor, optional_int(item.rescore_version))


def save_state(clinic_id: str, state: RiskState, at: str) -> None:
    bind()
    RiskStateItem(keys.clinic_pk(clinic_id), keys.RISK_STATE_SK, summaries_ready=state.summaries_ready,
                  phase=state.phase, cursor=state.cursor, rescore_version=state.rescore_version,
                  updated_at=at).save()


def patient_rows_page(clinic_id: str, start_key: dict[str, Any] | None,
                      page_size: int = 200) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the clinic's patient list (the backfill's walk), with where the next starts."""
    projection, aliases = _names(_ROW_FIELDS)
    params: dict[str, Any] = {"IndexName": GSI1, "KeyConditionExpression": "gsi1pk = :pk",
                              "ExpressionAttributeValues": {":pk": {"S": keys.patients_list_pk(clinic_id)}},
                              "ProjectionExpression": projection, "ExpressionAttributeNames": aliases,
                              "Limit": page_size}
    if start_key:
        params["ExclusiveStartKey"] = start_key
    page = db.query_raw(**params)
    return [plain(item) for item in page.get("Items", [])], page.get("LastEvaluatedKey")
