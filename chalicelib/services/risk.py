"""Training a clinic's lapse-risk model from its own history, scoring its patients, and the staff views.

The daily run reads feature summaries (one small item per patient, kept current by the table's
stream: chalicelib.services.risk_summaries), never the patients' partitions: it trains on a sample
of them, adopts the new model only when it is clearly better than the current one (or the current
one is old), and scores again only the patients in the due index (their features changed, or
crossed a time boundary), plus everyone, page by page, after a new model is adopted. Scores are
written where they changed, many patients to a transaction, and segments are re-evaluated only
for patients whose score moves across a bound of a segment rule. A patient without analytics
consent is left out of all of it: their summary is in no sample, they are no training example and
in no curve, and they keep no score (one they had is removed, at once when they withdraw, or by
the next run). See docs/risk.md.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from datetime import time as wall
from typing import NamedTuple

from chalicelib.domain import risk as rules
from chalicelib.domain import segments as segment_rules
from chalicelib.domain.clock import clock, iso, local_date, local_moment, parse_iso
from chalicelib.observability import logger
from chalicelib.services import risk_summaries
from chalicelib.services.histories import history_of_summary
from chalicelib.store import clinics
from chalicelib.store import risk as store


def on_risk_score_changed(clinic_id: str, patient_id: str, old_score: float | None, new_score: float | None,
                          risk_rules: list) -> bool:
    """Called after a patient's new score is written (None: no score, the patient is not expected
    back within the horizon): segments with a rule on the risk score (`risk_rules`, read once per
    run) re-evaluate the patient at once (one read, and one write only when a membership changes),
    but only when the move can change an answer: a live segment's risk_score bounds answer
    differently for the old and the new score (nothing else about the patient changed). Returns
    True if the patient was re-evaluated."""
    if not any(_answer_may_change(rule, old_score, new_score) for rule in risk_rules):
        return False
    from chalicelib.services import segments

    segments.reevaluate(clinic_id, patient_id)
    return True


def _risk_rules(clinic_id: str) -> list:
    """The rules of the clinic's live segments that look at the risk score."""
    from chalicelib.services.segments import LIVE
    from chalicelib.store import segments as segment_store

    return [s.rule for s in segment_store.definitions(clinic_id) if s.status in LIVE and _reads_risk(s.rule)]


def _reads_risk(rule) -> bool:
    try:
        return "risk_score" in segment_rules.fields_of(rule)
    except (AttributeError, KeyError, TypeError, ValueError):
        return True  # a rule that cannot be read: re-evaluate, as for any score change


def _answer_may_change(rule, old: float | None, new: float | None) -> bool:
    try:
        return segment_rules.risk_answer_changes(rule, old, new)
    except (AttributeError, KeyError, TypeError, ValueError):
        return True  # a rule that cannot be read: re-evaluate, as for any score change


def forget(clinic_id: str, patient_id: str, old_score: float | None = None) -> None:
    """Remove a patient's score, factors and at-risk entry (analytics consent withdrawn)."""
    written = store.write_scores(clinic_id, [store.ScoreWrite(patient_id, None, forget=True)], version=0,
                                 at=iso(clock.now()))
    store.forget_summary_score(clinic_id, patient_id)
    if written and old_score is not None:
        on_risk_score_changed(clinic_id, patient_id, old_score, None, _risk_rules(clinic_id))


def _counts(result: rules.Training) -> dict:
    return {"examples": result.examples, "lapsed": result.lapsed, "fit": result.fit_examples,
            "calibrate": result.calibrate_examples, "evaluate": result.evaluate_examples}


# The daily run (docs/risk.md, "The daily run"): what it reads is bounded by the sample and by
# the patients due, not by the clinic's size.
SAMPLE_PATIENTS = 20_000  # training reads at most about this many summaries (whole sample buckets)
SAMPLE_BUCKETS = 10_000
ADOPT_AUC_GAIN = 0.01  # a new model replaces the current one when its hold-out AUC is this much better
MODEL_REFRESH_DAYS = 28  # ... or when the current one is this old
TRAIN_EVERY_DAYS = rules.TRAIN_EVERY_DAYS  # with a model, a candidate (and the curves) weekly; scoring daily
BUDGET_SECONDS = 600.0  # a run stops after this and returns a cursor (Lambda's limit is 900 s)
DUE_PAGE = 100
BACKFILL_PAGE = 200
RESCORE_PAGE = 500


class _Budget:
    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def spent(self) -> bool:
        return time.monotonic() >= self.deadline


def _cursor(phase: str, key: dict | None) -> str:
    return json.dumps({"phase": phase, "key": key}, sort_keys=True, separators=(",", ":"))


def train_clinic(clinic_id: str, cursor: str | None = None, budget_seconds: float = BUDGET_SECONDS) -> dict:
    """One clinic's daily run, in order: build the clinic's feature summaries if they are not
    built yet (a clinic from before them), train on a sample of them and adopt the new model if
    it is clearly better or the current one is old (then re-score every patient from their
    summaries), and score again the patients found in the due index. Any step that runs out of
    `budget_seconds` stops at a page boundary and returns a `cursor`; the next call (with the
    cursor, or without it: the clinic's state item keeps it) goes on from there."""
    clinic = clinics.get(clinic_id)
    now = clock.now()
    at, today = iso(now), local_date(now, clinic.tz)
    budget = _Budget(budget_seconds)
    state = store.load_state(clinic_id)
    if cursor:
        given = json.loads(cursor)
        state.phase, state.cursor = given.get("phase"), given.get("key")
    if not state.summaries_ready:
        key = state.cursor if state.phase == "backfill" else None
        while True:
            _, key = risk_summaries.backfill_page(clinic_id, key, BACKFILL_PAGE)
            if not key:
                break
            if budget.spent():
                store.save_state(clinic_id, store.RiskState(False, "backfill", key), at)
                return {"status": "backfilling", "cursor": _cursor("backfill", key)}
        state = store.RiskState(summaries_ready=True)
        store.save_state(clinic_id, state, at)
    risk_rules = _risk_rules(clinic_id)
    reply: dict = {}
    current = store.current_model(clinic_id)
    if state.phase == "rescore":
        reply = {"status": "trained", "model_version": current.version if current else None, "adopted": True}
    elif current is not None and not _training_due(clinic_id, now):
        reply = {"status": "scored", "model_version": int(current.version)}
    else:
        reply = _train(clinic_id, clinic.tz, today, at)
        if reply.get("adopted"):
            state = store.RiskState(True, "rescore", None, reply["model_version"])
            store.save_state(clinic_id, state, at)
    current = store.current_model(clinic_id)
    if current is None:
        return reply
    model = rules.Model.from_dict(current.model)
    space = space_of(model)
    version = int(current.version)
    scored = 0
    if state.phase == "rescore":
        done, key = _rescore_all(clinic_id, clinic.tz, today, at, model, space, version, risk_rules, state.cursor,
                                 budget)
        scored += done
        if key:
            store.save_state(clinic_id, store.RiskState(True, "rescore", key, version), at)
            return {**reply, "scored": scored, "cursor": _cursor("rescore", key)}
        store.save_state(clinic_id, store.RiskState(True), at)
    done, finished = _score_due(clinic_id, clinic.tz, today, at, model, space, version, risk_rules, budget)
    scored += done
    store.record_scored(clinic_id, scored)
    reply = {**reply, "scored": scored}
    if not finished:
        reply["cursor"] = _cursor("due", None)  # the due index itself says where to go on
    return reply


def _training_due(clinic_id: str, now: datetime) -> bool:
    run = store.last_run(clinic_id)
    return rules.training_due(parse_iso(run.at) if run else None, now, has_model=True)


def space_of(model: rules.Model) -> rules.FeatureSpace:
    """The feature space a stored model was trained in (its column names say it)."""
    return rules.FeatureSpace(tuple(n.split(":", 1)[1] for n in model.features if n.startswith("condition:")),
                              tuple(n.split(":", 1)[1] for n in model.features if n.startswith("district:")))


def _sample(clinic_id: str, tz: str) -> tuple[list[rules.History], int]:
    """Histories of a sample of the patients with analytics consent: whole sample buckets in
    order (a hash of the patient id) until SAMPLE_PATIENTS are read; returns them and the
    number of buckets read (10,000: everybody)."""
    histories: list[rules.History] = []
    key = None
    last_bucket = -1
    while True:
        page, key = store.summary_page(clinic_id, key, page_size=1000)
        for summary in page:
            bucket = risk_summaries.facts_of.sample_bucket(summary.patient_id)
            if len(histories) >= SAMPLE_PATIENTS and bucket != last_bucket:
                return histories, last_bucket + 1
            histories.append(history_of_summary(summary.patient_id, summary.facts, tz))
            last_bucket = bucket
        if not key:
            return histories, SAMPLE_BUCKETS


def _train(clinic_id: str, tz: str, today: date, at: str) -> dict:
    """Train on the sample; store the curves and the run; adopt the new model or keep the current one."""
    histories, buckets = _sample(clinic_id, tz)
    curves = rules.dropout_curves(histories, today)
    store.save_dropout(clinic_id, at, curves)
    # learned recall rules read each condition's day with the clinic (cached), not the curves' item
    clinics.set_learned_recall_days(clinic_id, at, {condition: int(curve["suggested_recall_day"])
                                                    for condition, curve in curves.items()
                                                    if curve.get("suggested_recall_day") is not None})
    result = rules.train(histories, today)
    counts = {**_counts(result), "sampled": len(histories), "sample_share": round(buckets / SAMPLE_BUCKETS, 4)}
    current = store.current_model(clinic_id)
    if result.model is None:
        store.save_run(clinic_id, at=at, status="no_model", reason=result.reason, counts=counts,
                       model_version=None, scored=0)
        logger.info("risk model not trained", extra={"reason": result.reason, "examples": result.examples})
        return {"status": "no_model", "reason": result.reason, "examples": result.examples}
    evaluation = result.evaluation.as_dict() if result.evaluation else None
    adopt, current_auc = _adopt(current, result, histories, today, at)
    if adopt:
        saved = store.save_model(clinic_id, trained_at=at, model=result.model.as_dict(),
                                 auc=evaluation["auc"] if evaluation else None,
                                 baseline_auc=evaluation["baseline_auc"] if evaluation else None,
                                 counts=counts, cutoffs=result.cutoffs, horizon_days=rules.HORIZON_DAYS,
                                 evaluation=evaluation)
        version, auc = int(saved.version), saved.auc
    else:
        assert current is not None
        version, auc = int(current.version), current.auc
    store.save_run(clinic_id, at=at, status="trained", reason=None if adopt else "kept_current_model",
                   counts={**counts, "candidate_auc": evaluation["auc"] if evaluation else None,
                           "current_auc": current_auc}, model_version=version, scored=0)
    logger.info("risk model trained", extra={"version": version, "adopted": adopt, "examples": result.examples,
                                             "auc": result.auc, "current_auc": current_auc,
                                             "brier": evaluation["brier"] if evaluation else None})
    return {"status": "trained", "model_version": version, "examples": result.examples, "auc": auc,
            "adopted": adopt}


def _adopt(current: store.RiskModel | None, result: rules.Training, histories: list[rules.History], today: date,
           at: str) -> tuple[bool, float | None]:
    """Whether the new model replaces the current one: there is none, it is MODEL_REFRESH_DAYS
    old, or the new one's hold-out AUC beats the current one's on the same held-out examples by
    ADOPT_AUC_GAIN. Returns the decision and the current model's AUC on those examples."""
    if current is None or result.evaluation is None:
        return True, None
    if (parse_iso(at) - parse_iso(current.trained_at)).days >= MODEL_REFRESH_DAYS:
        return True, None
    old = rules.Model.from_dict(current.model)
    held = rules.examples([h for h in histories if rules.split_part(h.patient_id) == "evaluate"], space_of(old),
                          rules.cutoffs(today))
    current_auc = rules.auc([old.score(e.x) for e in held], [e.y for e in held])
    if current_auc is None or result.evaluation.auc is None:
        return True, current_auc
    return result.evaluation.auc - current_auc >= ADOPT_AUC_GAIN, round(current_auc, 4)


class _Scored(NamedTuple):
    summary: store.Summary
    write: store.ScoreWrite | None
    next_at: str | None


def _score_summary(summary: store.Summary, tz: str, today: date, model: rules.Model, space: rules.FeatureSpace,
                   version: int) -> _Scored:
    """A patient's score from their summary, what to write (None: unchanged) and when they are due again."""
    profile = summary.facts.get("p") or {}
    if not profile.get("analytics"):
        stale = summary.score is not None or summary.score_version is not None
        return _Scored(summary, store.ScoreWrite(summary.patient_id, None, forget=True) if stale else None, None)
    h = history_of_summary(summary.patient_id, summary.facts, tz)
    row = {"patient_id": summary.patient_id, "risk_score": summary.score, "risk_model_version": summary.score_version,
           "risk_factors": summary.score_factors, "name_masked": profile.get("name_masked"),
           "conditions": profile.get("conditions") or []}
    write = score_change(row, h, model, space, version, today)
    next_at = iso(local_moment(rules.next_rescore(h, today), wall(0, 0), tz))
    return _Scored(summary, write, next_at)


def _apply_scores(clinic_id: str, scored: list[_Scored], version: int, at: str, risk_rules: list,
                  move_due: bool) -> int:
    """Write the changed scores with their copies on the summaries (store.SUMMARY_TRANSACTION_PATIENTS
    to a transaction), re-evaluate the segments on the score that may change, and, for due
    patients, when they are due next."""
    writes = [s.write for s in scored if s.write is not None]
    written = (set(store.write_scores(clinic_id, writes, version=version, at=at, summaries=True))
               if writes else set())
    removed = {s.summary.patient_id for s in scored if s.write is not None and s.write.forget} & written
    if removed:
        logger.info("risk data removed for patients without analytics consent", extra={"patients": len(removed)})
    for s in scored:
        if s.write is not None and s.summary.patient_id not in written:
            continue  # erased meanwhile
        if s.write is not None:
            on_risk_score_changed(clinic_id, s.summary.patient_id, s.summary.score, s.write.score, risk_rules)
        if move_due:
            store.move_due(clinic_id, s.summary, s.next_at)
    return len(written - removed)


def _score_due(clinic_id: str, tz: str, today: date, at: str, model: rules.Model, space: rules.FeatureSpace,
               version: int, risk_rules: list, budget: _Budget) -> tuple[int, bool]:
    """Score the patients in the due index (a page of keys, one BatchGetItem of their summaries);
    returns how many scores were written and whether the index was read to its end."""
    scored, key = 0, None
    while True:
        patient_ids, key = store.due_summaries_page(clinic_id, at, key, DUE_PAGE)
        summaries = store.summaries_of(clinic_id, patient_ids) if patient_ids else {}
        for pid, summary in list(summaries.items()):
            if summary.rebuild and not summary.erased:
                rebuilt = risk_summaries.rebuild(clinic_id, summary)
                if rebuilt is None:
                    del summaries[pid]
                else:
                    summaries[pid] = rebuilt
        batch = [_score_summary(summaries[pid], tz, today, model, space, version)
                 for pid in patient_ids if pid in summaries and not summaries[pid].erased]
        scored += _apply_scores(clinic_id, batch, version, at, risk_rules, move_due=True)
        if not key:
            return scored, True
        if budget.spent():
            return scored, False


def _rescore_all(clinic_id: str, tz: str, today: date, at: str, model: rules.Model, space: rules.FeatureSpace,
                 version: int, risk_rules: list, start: dict | None, budget: _Budget) -> tuple[int, dict | None]:
    """A newly adopted model: every patient with analytics consent scored again from their
    summary (gsi1, a page at a time); patients due meanwhile get their next due time too."""
    scored, key = 0, start
    while True:
        page, key = store.summary_page(clinic_id, key, RESCORE_PAGE)
        for due in (True, False):
            part = [s for s in page if bool(s.due_at and s.due_at <= at) == due]
            batch = [_score_summary(s, tz, today, model, space, version) for s in part]
            scored += _apply_scores(clinic_id, batch, version, at, risk_rules, move_due=due)
        if not key or budget.spent():
            return scored, key


def _score(row: dict) -> float | None:
    return float(row["risk_score"]) if row.get("risk_score") is not None else None


def score_change(row: dict, h: rules.History, model: rules.Model, space: rules.FeatureSpace, version: int,
                 today: date) -> store.ScoreWrite | None:
    """The patient's score as of today, if it, its factors or the model changed (None: nothing to
    write); a patient not expected back within the horizon gets no score (and leaves the at-risk list)."""
    if not rules.due_within(h, today):
        if row.get("risk_score") is None and row.get("risk_model_version") == version:
            return None
        return store.ScoreWrite(row["patient_id"], None)
    x = space.row(h, today)
    score = round(model.score(x), 4)
    factors = rules.top_factors(model, x)
    old = _score(row)
    if (old is not None and round(old, 4) == score and row.get("risk_model_version") == version
            and row.get("risk_factors") == factors):
        return None
    return store.ScoreWrite(row["patient_id"], score, factors, row.get("name_masked"), list(row.get("conditions") or []))


# -- staff views ----------------------------------------------------------------------------------


def model_view(clinic_id: str) -> dict:
    item = store.current_model(clinic_id)
    run = store.last_run(clinic_id)
    last = None if run is None else {"at": run.at, "status": run.status, "reason": run.reason,
                                     "counts": dict(run.counts or {}), "scored": int(run.scored or 0)}
    if item is None:
        return {"model": None, "last_run": last,
                "message": _reason_text(run.reason if run else "not_trained_yet")}
    model = rules.Model.from_dict(item.model)
    evaluation = dict(item.evaluation or {})
    horizon = int(item.horizon_days)
    return {
        "model": {"version": int(item.version), "trained_at": item.trained_at, "auc": item.auc,
                  "baseline_auc": item.baseline_auc, "counts": dict(item.counts or {}),
                  "horizon_days": horizon, "cutoffs": list(item.cutoffs or []),
                  "label": f"no visit within {horizon} days after the cut-off, among patients expected back "
                           f"before those {horizon} days end",
                  "calibration_method": "platt" if item.evaluation else None,
                  "evaluated_examples": evaluation.get("examples"), "base_rate": evaluation.get("base_rate"),
                  "brier": evaluation.get("brier"), "base_rate_brier": evaluation.get("base_rate_brier"),
                  "calibration": list(evaluation.get("calibration") or []),
                  "calibration_max_gap": evaluation.get("max_gap"),
                  "top_decile_lift": evaluation.get("top_decile_lift"),
                  "intercept": round(model.intercept, 4), "coefficients": rules.coefficient_rows(model)},
        "versions": [{"version": int(v.version), "trained_at": v.trained_at, "auc": v.auc}
                     for v in store.model_versions(clinic_id)],
        "last_run": last,
    }


def _reason_text(reason: str | None) -> str:
    return {
        "too_few_examples": f"not enough history to train: fewer than {rules.MIN_EXAMPLES} patient examples",
        "one_class": "not enough history to train: the examples are nearly all lapsed or all returned",
        "not_trained_yet": "the risk model has not been trained yet (it trains daily)",
    }.get(reason or "not_trained_yet", reason or "")


def at_risk(clinic_id: str, limit: int, cursor: str | None) -> dict:
    """Scored patients, highest risk first, with their phones masked (one BatchGetItem a page)."""
    from chalicelib.services.followups import masked_phone
    from chalicelib.services.patient_fields import clinic_key

    rows, next_cursor = store.risk_page(clinic_id, limit, cursor)
    if rows:
        key = clinic_key(clinic_id)
        phones = store.phones_of(clinic_id, [r["patient_id"] for r in rows])
        rows = [{**r, "phone_masked": masked_phone(clinic_id, phones.get(r["patient_id"]), key)} for r in rows]
    return {"items": rows, "next_cursor": next_cursor}


def patient_risk(clinic_id: str, patient_id: str) -> dict:
    """A patient's score, or why there is none: no analytics consent (no score is computed or
    kept; anything left from before is not shown), not expected back within the horizon, or no
    model yet."""
    fields = store.profile_fields(clinic_id, patient_id)
    if not fields.analytics_consent:
        return {"patient_id": patient_id, "risk_score": None, "risk_status": "no_consent", "risk_factors": [],
                "risk_model_version": None, "scored_at": None, "followup_flag": fields.followup_flag}
    version = int(fields.risk_model_version) if fields.risk_model_version is not None else None
    status = "scored" if fields.risk_score is not None else ("not_due" if version is not None else "not_scored")
    return {"patient_id": patient_id,
            "risk_score": float(fields.risk_score) if fields.risk_score is not None else None,
            "risk_status": status, "risk_factors": list(fields.risk_factors or []),
            "risk_model_version": version, "scored_at": fields.risk_scored_at, "followup_flag": fields.followup_flag}


def dropout_view(clinic_id: str) -> dict:
    item = store.load_dropout(clinic_id)
    if item is None:
        return {"computed_at": None, "conditions": {}, "rule": _rule()}
    return {"computed_at": item.computed_at, "conditions": item.conditions, "rule": _rule()}


def _rule() -> dict:
    return {"dropout_share": rules.DROPOUT_SHARE, "recall_fraction": round(rules.RECALL_FRACTION, 4),
            "curve_days": rules.CURVE_DAYS,
            "text": "drop-out day: the day by which 90% of the returns seen within 400 days have happened; "
                    "suggested recall day: two thirds of the drop-out day"}
