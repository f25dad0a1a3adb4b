"""The monthly star board: a patient's entry per clinic month (`LB#<month>`), listed in gsi1
under a shard of the clinic's board unless the patient chose to stay off it; the board read
is each shard's top entries through gsi1, merged."""

from __future__ import annotations

from typing import Any, NamedTuple

from chalicelib.domain import earning as rules
from chalicelib.store import db, keys
from chalicelib.store.models import BoardEntryItem, PatientItem, bind
from chalicelib.store.records import Patient, patient_pk, profile_ref
from chalicelib.store.plan import Step, update
from chalicelib.store.schema import GSI1


class BoardEntry(NamedTuple):
    """A patient's points earned in one clinic month, and whether they show on the board."""

    patient_id: str
    month: str
    score: int
    name_masked: str
    listed: bool


def entry_of(item: BoardEntryItem) -> BoardEntry:
    return BoardEntry(patient_id=item.patient_id, month=item.month, score=int(item.score or 0),
                      name_masked=item.name_masked, listed=bool(item.gsi1pk))


def _row(raw: dict[str, Any]) -> dict[str, Any]:
    return {"patient_id": raw["patient_id"]["S"], "score": int(raw["score"]["N"]),
            "name_masked": raw.get("name_masked", {}).get("S", "")}


def top(clinic_id: str, month: str, limit: int) -> list[dict[str, Any]]:
    """The board's top `limit`: one Query per shard (each its own top `limit`), merged."""
    pages = []
    for shard in range(rules.LEADERBOARD_SHARDS):
        reply = db.query_raw(
            IndexName=GSI1, KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.board_pk(clinic_id, month, shard)}},
            ScanIndexForward=False, Limit=limit,
        )
        pages.append([_row(item) for item in reply.get("Items", [])])
    return rules.merge_top(pages, limit)


def entry(clinic_id: str, patient_id: str, month: str) -> BoardEntry | None:
    """The patient's entry of a month (consistent read), None before they earned anything in it."""
    bind()
    try:
        item = BoardEntryItem.get(keys.patient_pk(clinic_id, patient_id), keys.board_entry_sk(month),
                                  consistent_read=True)
    except BoardEntryItem.DoesNotExist:
        return None
    return entry_of(item)


def is_listed(item: BoardEntry) -> bool:
    """Whether the entry is on the board (in the index) or hidden by the patient's choice."""
    return item.listed


def rank(clinic_id: str, month: str, item: BoardEntry) -> int:
    """1 + how many visible entries score higher (ties share the better rank): one count per shard."""
    higher = 0
    floor = rules.score_sort(int(item.score) + 1, "")
    for shard in range(rules.LEADERBOARD_SHARDS):
        params = {
            "IndexName": GSI1, "Select": "COUNT",
            "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk >= :floor",
            "ExpressionAttributeValues": {":pk": {"S": keys.board_pk(clinic_id, month, shard)},
                                          ":floor": {"S": floor}},
        }
        higher += sum(page.get("Count", 0) for page in db.query_pages(**params))
    return higher + 1


class EntryMoved(Exception):
    """A payout changed the board entry since it was read: read it again."""


def visibility_steps(patient: Patient, visible: bool, month: str, current: BoardEntry | None) -> list[Step]:
    """Show or hide the patient on boards: the profile flag and this month's entry as read
    (refused with `EntryMoved` when a payout moved it meanwhile)."""
    steps = [update(profile_ref(patient), [PatientItem.board_hidden.set(not visible)], "profile",
                    PatientItem.pk.exists())]
    if current is not None:
        if visible:
            shard = rules.shard_of(patient.patient_id)
            actions = [BoardEntryItem.gsi1pk.set(keys.board_pk(patient.clinic_id, month, shard)),
                       BoardEntryItem.gsi1sk.set(rules.score_sort(current.score, patient.patient_id))]
        else:
            actions = [BoardEntryItem.gsi1pk.remove(), BoardEntryItem.gsi1sk.remove()]
        steps.append(update(BoardEntryItem(patient_pk(patient), keys.board_entry_sk(month)), actions, "board",
                            BoardEntryItem.score == current.score, EntryMoved()))
    return steps
