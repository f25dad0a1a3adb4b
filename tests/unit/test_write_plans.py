"""The write-plan executor (chalicelib/store/plan.py): a plan of N writes is one
TransactWriteItems call, a refused condition raises the error its label means, updates of one
item are merged, and nothing is written when any condition refuses."""

from __future__ import annotations

import pytest

from chalicelib.errors import Conflict, InsufficientPoints, NotFound


@pytest.fixture
def table(aws):
    from chalicelib.store.models import bind

    bind()
    return aws


def _calls(monkeypatch):
    """Count the DynamoDB operations the store's connection sends."""
    from chalicelib.store import db

    sent: list[str] = []
    client = db.connection().client
    original = client._make_api_call

    def spy(operation, params):
        sent.append(operation)
        return original(operation, params)

    monkeypatch.setattr(client, "_make_api_call", spy)
    return sent


def _profile(balance: int = 5):
    from chalicelib.store.models import PatientItem

    item = PatientItem("c1#P#p1", "PROFILE", clinic_id="c1", patient_id="p1", name_enc="x", phone_enc="x",
                       phone_hash="h", name_masked="张*", balance=balance, created_at="2026-11-20T02:00:00Z")
    item.save()
    return PatientItem("c1#P#p1", "PROFILE")


def test_a_plan_of_many_writes_is_one_transact_write_items(table, monkeypatch):
    from chalicelib.store import plan as plans
    from chalicelib.store.models import LedgerItem, PatientItem

    profile = _profile()
    calls = _calls(monkeypatch)
    plan = plans.Plan()
    for n in range(5):
        plan.add(plans.put(LedgerItem("c1#P#p1", f"LEDGER#e{n}", entry_id=f"e{n}", points=1, reason="t", at="x"),
                           f"entry {n} is new", LedgerItem.sk.does_not_exist()))
    plan.add(plans.update(profile, [PatientItem.balance.add(5)], "profile exists", PatientItem.pk.exists()))
    plans.execute(plan)
    assert calls == ["TransactWriteItems"]
    assert int(PatientItem.get("c1#P#p1", "PROFILE").balance) == 10
    assert len(list(LedgerItem.query("c1#P#p1", LedgerItem.sk.startswith("LEDGER#")))) == 5


def test_a_refused_condition_raises_the_error_of_its_label(table):
    from chalicelib.store import plan as plans
    from chalicelib.store.models import LedgerItem, PatientItem

    profile = _profile(balance=3)
    plan = plans.Plan()
    plan.add(plans.put(LedgerItem("c1#P#p1", "LEDGER#buy", entry_id="buy", points=-10, reason="t", at="x"),
                       "not redeemed yet", LedgerItem.sk.does_not_exist()))
    plan.add(plans.update(profile, [PatientItem.balance.add(-10)], "balance covers the price",
                          PatientItem.balance >= 10))
    plan.refuse("balance covers the price", InsufficientPoints("not enough points", field="reward_id"))
    plan.refuse("not redeemed yet", Conflict("already", code="already_redeemed"))
    with pytest.raises(InsufficientPoints):
        plans.execute(plan)
    # nothing of the plan was written
    assert int(PatientItem.get("c1#P#p1", "PROFILE").balance) == 3
    assert list(LedgerItem.query("c1#P#p1", LedgerItem.sk.startswith("LEDGER#"))) == []


def test_the_first_refused_label_in_plan_order_wins_and_a_default_applies(table):
    from chalicelib.store import plan as plans
    from chalicelib.store.models import LedgerItem

    LedgerItem("c1#P#p1", "LEDGER#a", entry_id="a", points=1, reason="t", at="x").save()
    LedgerItem("c1#P#p1", "LEDGER#b", entry_id="b", points=1, reason="t", at="x").save()
    plan = plans.Plan()
    plan.add(plans.put(LedgerItem("c1#P#p1", "LEDGER#a", entry_id="a", points=1, reason="t", at="x"),
                       "a is new", LedgerItem.sk.does_not_exist(), refused=plans.Refused("a is new")))
    plan.add(plans.put(LedgerItem("c1#P#p1", "LEDGER#b", entry_id="b", points=1, reason="t", at="x"),
                       "b is new", LedgerItem.sk.does_not_exist()), refused=Conflict("b", code="b_exists"))
    with pytest.raises(plans.Refused) as caught:
        plans.execute(plan)
    assert caught.value.label == "a is new"


def test_an_unmapped_refusal_is_raised_as_cancelled_with_its_label(table):
    from chalicelib.store import plan as plans
    from chalicelib.store.models import LedgerItem

    LedgerItem("c1#P#p1", "LEDGER#a", entry_id="a", points=1, reason="t", at="x").save()
    plan = plans.Plan().add(plans.put(LedgerItem("c1#P#p1", "LEDGER#a", entry_id="a", points=1, reason="t", at="x"),
                                      "a is new", LedgerItem.sk.does_not_exist()))
    with pytest.raises(plans.Cancelled) as caught:
        plans.execute(plan)
    assert caught.value.conditional("a is new")


def test_updates_of_one_item_are_merged_into_one_write(table, monkeypatch):
    from chalicelib.store import plan as plans
    from chalicelib.store.models import PatientItem

    profile = _profile(balance=5)
    plan = plans.Plan()
    plan.add(plans.update(profile, [PatientItem.balance.add(2)], "first"))
    plan.add(plans.update(profile, [PatientItem.earned_total.add(2)], "balance covers", PatientItem.balance >= 100))
    assert plan.labels() == ["balance covers"]
    plan.refuse("balance covers", InsufficientPoints("no"))
    with pytest.raises(InsufficientPoints):
        plans.execute(plan)
    plan = plans.Plan()
    plan.add(plans.update(profile, [PatientItem.balance.add(2)], "first", PatientItem.pk.exists()))
    plan.add(plans.update(profile, [PatientItem.earned_total.add(2)], "second", PatientItem.balance >= 1))
    calls = _calls(monkeypatch)
    plans.execute(plan)
    assert calls == ["TransactWriteItems"]
    stored = PatientItem.get("c1#P#p1", "PROFILE")
    assert (int(stored.balance), int(stored.earned_total)) == (7, 2)


def test_the_patient_check_and_commit_hooks(table):
    from chalicelib.store import plan as plans
    from chalicelib.store.models import LedgerItem

    done: list[str] = []
    plan = plans.Plan()
    plan.add(plans.profile_exists("c1", "p1"))
    plan.add(plans.put(LedgerItem("c1#P#p1", "LEDGER#a", entry_id="a", points=1, reason="t", at="x"), "new"))
    plan.on_commit(lambda: done.append("committed"))
    with pytest.raises(NotFound):
        plans.execute(plan)
    assert done == []
    _profile()
    plans.execute(plan)
    assert done == ["committed"]
