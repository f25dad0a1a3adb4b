"""Training a clinic's lapse-risk model from its own history, scoring its patients, and the staff views.

The training run (daily job) reads the clinic's patient list on gsi1 and the partition of each
patient who consented to analytics, trains (chalicelib.domain.risk), stores the model version, the
drop-out curves and the run, then writes each patient's score where it changed, many patients to a
transaction, and re-evaluates segments only for patients whose score moves across a bound of a
segment rule. A patient without analytics consent is left out of all of it: their history is not
read, they are no training example and in no curve, and they keep no score (one they had is
removed, at once when they withdraw, or by the next run). See docs/risk.md.
"""

from __future__ import annotations

from datetime import date

from chalicelib.domain import risk as rules
from chalicelib.domain import segments as segment_rules
from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.observability import logger
from chalicelib.services.histories import history_of
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


def analytics_consent(row: dict) -> bool:
    """Whether a patient list row (or a profile) carries a granted analytics consent."""
    state = (row.get("consents") or {}).get("analytics") or {}
    return bool(isinstance(state, dict) and state.get("granted"))


def _has_risk_data(row: dict) -> bool:
    return row.get("risk_score") is not None or row.get("risk_model_version") is not None


def forget(clinic_id: str, patient_id: str, old_score: float | None = None) -> None:
    """Remove a patient's score, factors and at-risk entry (analytics consent withdrawn)."""
    written = store.write_scores(clinic_id, [store.ScoreWrite(patient_id, None, forget=True)], version=0,
                                 at=iso(clock.now()))
    if written and old_score is not None:
        on_risk_score_changed(clinic_id, patient_id, old_score, None, _risk_rules(clinic_id))


def _counts(result: rules.Training) -> dict:
    return {"examples": result.examples, "lapsed": result.lapsed, "fit": result.fit_examples,
            "calibrate": result.calibrate_examples, "evaluate": result.evaluate_examples}


def train_clinic(clinic_id: str) -> dict:
    """One clinic's run: train (or say why not), store the model and curves, score every patient."""
    clinic = clinics.get(clinic_id)
    now = clock.now()
    at, today = iso(now), local_date(now, clinic.tz)
    rows: list[dict] = []
    refused: list[dict] = []
    for row in store.patient_rows(clinic_id):
        (rows if analytics_consent(row) else refused).append(row)
    _forget_refused(clinic_id, refused)
    histories = [history_of(row, store.activity_history(clinic_id, row["patient_id"]), clinic.tz) for row in rows]
    curves = rules.dropout_curves(histories, today)
    store.save_dropout(clinic_id, at, curves)
    # learned recall rules read each condition's day with the clinic (cached), not the curves' item
    clinics.set_learned_recall_days(clinic_id, at, {condition: int(curve["suggested_recall_day"])
                                                    for condition, curve in curves.items()
                                                    if curve.get("suggested_recall_day") is not None})
    result = rules.train(histories, today)
    if result.model is None:
        store.save_run(clinic_id, at=at, status="no_model", reason=result.reason, counts=_counts(result),
                       model_version=None, scored=0)
        logger.info("risk model not trained", extra={"reason": result.reason, "examples": result.examples})
        return {"status": "no_model", "reason": result.reason, "examples": result.examples}
    evaluation = result.evaluation.as_dict() if result.evaluation else None
    saved = store.save_model(clinic_id, trained_at=at, model=result.model.as_dict(),
                             auc=evaluation["auc"] if evaluation else None,
                             baseline_auc=evaluation["baseline_auc"] if evaluation else None,
                             counts=_counts(result), cutoffs=result.cutoffs, horizon_days=rules.HORIZON_DAYS,
                             evaluation=evaluation)
    version = int(saved.version)
    changes = [(row, change) for row, h in zip(rows, histories)
               if (change := score_change(row, h, result.model, result.space, version, today)) is not None]
    scored, risk_rules = 0, _risk_rules(clinic_id)
    # A transaction at a time, each followed by its patients' segment re-evaluations, so a run that
    # fails part way leaves every written score with its memberships.
    for start in range(0, len(changes), store.TRANSACTION_PATIENTS):
        chunk = changes[start:start + store.TRANSACTION_PATIENTS]
        written = set(store.write_scores(clinic_id, [change for _, change in chunk], version=version, at=at))
        scored += len(written)
        for row, change in chunk:
            if change.patient_id in written:
                on_risk_score_changed(clinic_id, change.patient_id, _score(row), change.score, risk_rules)
    store.save_run(clinic_id, at=at, status="trained", reason=None, counts=_counts(result), model_version=version,
                   scored=scored)
    logger.info("risk model trained", extra={"version": version, "examples": result.examples, "auc": result.auc,
                                             "brier": evaluation["brier"] if evaluation else None})
    return {"status": "trained", "model_version": version, "examples": result.examples, "auc": saved.auc,
            "scored": scored}


def _forget_refused(clinic_id: str, refused: list[dict]) -> None:
    """Patients without analytics consent who still carry risk data (a withdrawal the immediate
    clean-up missed, or a score from before consent was checked) lose it."""
    stale = [row for row in refused if _has_risk_data(row)]
    if not stale:
        return
    at = iso(clock.now())
    written = set(store.write_scores(clinic_id, [store.ScoreWrite(row["patient_id"], None, forget=True)
                                                 for row in stale], version=0, at=at))
    risk_rules = _risk_rules(clinic_id)
    for row in stale:
        if row["patient_id"] in written and _score(row) is not None:
            on_risk_score_changed(clinic_id, row["patient_id"], _score(row), None, risk_rules)
    logger.info("risk data removed for patients without analytics consent", extra={"patients": len(written)})


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
