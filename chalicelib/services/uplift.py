"""Uplift targeting: the daily training of a clinic's two-model uplift learner from the reminders
whose sending was decided by chance, the patients' predicted uplift, and the recall rule's choice
to leave out a patient a marketing reminder is not expected to move. See docs/experiments.md.

Training examples (one per exposure, with the window closed):
- experiment exposures of experiments with a holdout: any arm is "reminded", the experiment's
  holdout is not; the outcome is the exposure's conversion (a visit within its window, as the
  experiments judge it);
- the clinic's lasting holdout: marketing recall reminders sent to patients outside it against
  those closed `held_out` / `clinic_holdout`, from the reminder log of the last LOOKBACK_DAYS; the
  outcome is a visit on the send day or within WINDOW_DAYS after it. A reminder also counted as an
  experiment exposure that day is not counted twice.
A patient without analytics consent is no example and gets no score (the lapse-risk rule).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.domain import risk as risk_rules
from chalicelib.domain import uplift as rules
from chalicelib.domain.clock import clock, iso, local_date, parse_iso
from chalicelib.observability import logger
from chalicelib.services.histories import history_of
from chalicelib.store import clinics
from chalicelib.store import experiments as experiment_store
from chalicelib.store import risk as risk_store
from chalicelib.store import uplift as store

LOOKBACK_DAYS = 365  # the reminder log read for the lasting holdout's examples
LOW_UPLIFT = "low_uplift"  # the stop reason of a marketing reminder left out by uplift targeting
CLINIC_HOLDOUT = "clinic_holdout"  # services.outbound: the lasting holdout's stop reason


def _analytics(row: dict) -> bool:
    state = (row.get("consents") or {}).get("analytics") or {}
    return bool(isinstance(state, dict) and state.get("granted"))


def _space_of(names: list[str]) -> risk_rules.FeatureSpace:
    """The feature space whose columns are these names (a stored model's)."""
    conditions = tuple(n.partition(":")[2] for n in names if n.startswith("condition:"))
    districts = tuple(n.partition(":")[2] for n in names if n.startswith("district:"))
    return risk_rules.FeatureSpace(conditions, districts)


def _histories(clinic_id: str, rows: dict[str, dict], tz: str) -> dict[str, risk_rules.History]:
    """Each patient's History (one partition Query each), as the risk training reads it."""
    return {pid: history_of(row, risk_store.activity_history(clinic_id, pid), tz) for pid, row in rows.items()}


def _exposures(clinic_id: str, tz: str, today: date) -> list[tuple[str, date, bool, int | None, str]]:
    """(patient, send day, reminded, revisited or None to judge from the visits, source) of every
    exposure whose window has closed."""
    found: list[tuple[str, date, bool, int | None, str]] = []
    seen: set[tuple[str, str]] = set()
    for experiment in experiment_store.list_all(clinic_id):
        if experiment.status == "draft" or experiment.holdout_share <= 0:
            continue  # without a holdout nobody was left unreminded by chance
        for e in experiment_store.exposures(clinic_id, experiment.experiment_id):
            if e.window_ends >= today.isoformat():
                continue
            found.append((e.patient_id, date.fromisoformat(e.sent_day), not e.holdout, 1 if e.converted_on else 0,
                          f"experiment:{experiment.experiment_id}"))
            seen.add((e.patient_id, e.sent_day))
    last = today - timedelta(days=rules.WINDOW_DAYS + 1)
    first = today - timedelta(days=LOOKBACK_DAYS)
    for entry in store.handled_recalls(clinic_id, f"{first.isoformat()}T00:00:00", f"{today.isoformat()}T00:00:00"):
        if entry.purpose != "marketing":
            continue
        reminded = entry.status == "sent"
        if not reminded and (entry.status, entry.stop_reason) != ("held_out", CLINIC_HOLDOUT):
            continue
        day = local_date(parse_iso(entry.processed_at), tz)
        if day > last or day < first or (entry.patient_id, day.isoformat()) in seen:
            continue
        seen.add((entry.patient_id, day.isoformat()))
        found.append((entry.patient_id, day, reminded, None, CLINIC_HOLDOUT))
    return found


def _revisited(h: risk_rules.History, day: date) -> int:
    end = day + timedelta(days=rules.WINDOW_DAYS)
    return 1 if any(day <= visit <= end for visit, _ in h.visits) else 0


def _risk_scorer(clinic_id: str):
    """The current lapse-risk model as a function of (history, day), or None without one."""
    saved = risk_store.current_model(clinic_id)
    if saved is None:
        return None
    model = risk_rules.Model.from_dict(saved.model)
    space = _space_of(model.features)
    if space.names != model.features:
        return None

    def score(h: risk_rules.History, day: date) -> float:
        return model.score(space.row(h, day))

    return score


def examples_of(clinic_id: str) -> tuple[list[rules.Example], list[str], dict[str, int]]:
    """The clinic's training examples, the columns they are in, and how many came from each source."""
    clinic = clinics.get(clinic_id)
    today = local_date(clock.now(), clinic.tz)
    exposures = _exposures(clinic_id, clinic.tz, today)
    rows = {pid: row for pid, row in store.patient_rows(clinic_id, sorted({e[0] for e in exposures})).items()
            if _analytics(row)}
    histories = _histories(clinic_id, rows, clinic.tz)
    space = risk_rules.FeatureSpace.of(list(histories.values()))
    risk = _risk_scorer(clinic_id)
    examples: list[rules.Example] = []
    sources: dict[str, int] = {}
    for pid, day, reminded, converted, source in exposures:
        h = histories.get(pid)
        if h is None:
            continue
        outcome = converted if converted is not None else _revisited(h, day)
        examples.append(rules.Example(pid, space.row(h, day), reminded, outcome,
                                      risk(h, day) if risk else None, source))
        kind = source.partition(":")[0]
        sources[kind] = sources.get(kind, 0) + 1
    return examples, space.names, sources


def train_clinic(clinic_id: str) -> dict[str, Any]:
    """One clinic's daily run: fit and judge the uplift model, store it (or why there is none).
    Once the clinic has a model it is trained again weekly, as the risk model is (reading the
    partition of every patient whose reminder was decided by chance in the window is not a daily
    cost); until then every day, so that a model comes as soon as the reminders allow."""
    current = store.current_model(clinic_id)
    last = store.last_run(clinic_id)
    if not risk_rules.training_due(parse_iso(last.at) if last else None, clock.now(), has_model=current is not None):
        return {"status": "kept", "model_version": current.version if current else None}
    at = iso(clock.now())
    examples, features, sources = examples_of(clinic_id)
    result = rules.train(examples, features)
    counts = {**result.counts, "sources": sources}
    if result.model is None:
        store.save_run(clinic_id, at=at, status="no_model", reason=result.reason, counts=counts, model_version=None)
        logger.info("uplift model not trained", extra={"clinic_id": clinic_id, "reason": result.reason,
                                                       "examples": len(examples)})
        return {"status": "no_model", "reason": result.reason, "examples": len(examples)}
    saved = store.save_model(clinic_id, trained_at=at, model=result.model.as_dict(), counts=counts,
                             evaluation=result.evaluation or {}, window_days=rules.WINDOW_DAYS)
    store.save_run(clinic_id, at=at, status="trained", reason=None, counts=counts, model_version=saved.version)
    logger.info("uplift model trained", extra={"clinic_id": clinic_id, "version": saved.version,
                                               "examples": len(examples),
                                               "qini": (result.evaluation or {}).get("qini")})
    return {"status": "trained", "model_version": saved.version, "examples": len(examples)}


# -- scores and targeting --------------------------------------------------------------------------


def uplift_scores(clinic_id: str, patient_ids: list[str]) -> dict[str, float]:
    """Each patient's predicted uplift today (P(revisit | reminded) - P(revisit | not)), by the
    clinic's current model. Absent: no model, no analytics consent, or an erased patient. Costs one
    model read, one BatchGetItem per 100 patients and one partition Query per patient scored;
    the capacity-aware ranking can order due recalls by it instead of by risk."""
    saved = store.current_model(clinic_id)
    if saved is None or not patient_ids:
        return {}
    model = rules.UpliftModel.from_dict(saved.model)
    space = _space_of(model.features)
    clinic = clinics.get(clinic_id)
    today = local_date(clock.now(), clinic.tz)
    rows = {pid: row for pid, row in store.patient_rows(clinic_id, list(dict.fromkeys(patient_ids))).items()
            if _analytics(row)}
    return {pid: round(model.uplift(space.row(h, today)), 4)
            for pid, h in _histories(clinic_id, rows, clinic.tz).items()}


def leaves_out(clinic_id: str, rule, purpose: str | None, patient_id: str) -> bool:
    """Whether a recall rule targeting by uplift leaves this patient's reminder unsent: only a
    marketing reminder, and only with a model that scores the patient at or below the rule's
    threshold. A service reminder is never left out (care is not withheld on a model's guess);
    without a model or a score the rule reaches everyone."""
    if getattr(rule, "targeting", "all") != "uplift" or (purpose or "service") != "marketing":
        return False
    score = uplift_scores(clinic_id, [patient_id]).get(patient_id)
    return rules.withheld(score, rule.uplift_threshold)


# -- the model card --------------------------------------------------------------------------------


REASONS = {
    "too_few_examples": f"not enough reminders decided by chance: each group needs at least {rules.MIN_PER_ARM} "
                        "examples whose window has closed",
    "one_outcome": "the reminded or the held-out examples all had the same outcome",
    "too_few_to_evaluate": f"too few held-out patients to judge a model (at least {rules.MIN_EVALUATE_PER_ARM} "
                           "per group)",
    "not_trained_yet": "the uplift model has not been trained yet (it trains daily with the risk model)",
}


def model_view(clinic_id: str) -> dict[str, Any]:
    saved = store.current_model(clinic_id)
    run = store.last_run(clinic_id)
    targeting = sorted(r.rule_id for r in clinics.recall_rules(clinic_id)
                       if r.rule.targeting == "uplift" and r.rule.active)
    last = None if run is None else {"at": run.at, "status": run.status, "reason": run.reason,
                                     "counts": dict(run.counts or {}), "model_version": run.model_version}
    view: dict[str, Any] = {"targeting_rules": targeting, "targeting_active": saved is not None,
                            "default_threshold": rules.DEFAULT_THRESHOLD, "window_days": rules.WINDOW_DAYS,
                            "last_run": last}
    if saved is None:
        return {**view, "model": None, "message": REASONS.get((run.reason if run else None) or "not_trained_yet",
                                                              REASONS["not_trained_yet"])}
    evaluation = dict(saved.evaluation or {})
    return {**view, "model": {
        "version": saved.version, "trained_at": saved.trained_at, "counts": dict(saved.counts or {}),
        "window_days": saved.window_days, "features": list(saved.model.get("features") or []),
        "evaluation": evaluation,
        "meaning": "predicted uplift = P(revisit within the window | reminded) - P(revisit | not reminded); "
                   "the Qini coefficient is the extra revisits per patient, averaged over every list length, "
                   "when patients are reminded in the model's order rather than at random",
    }}
