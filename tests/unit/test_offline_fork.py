"""The first start's builder runs the risk training in a forked copy of itself (with a copy of its
in-process moto) while it sweeps and refreshes the KPIs; the copy's changes are merged back
attribute by attribute (devstack/seed/offline.py)."""

from __future__ import annotations

import pytest


def _put(pk: str, sk: str, **attrs) -> None:
    from devstack.seed.offline import table_writer

    table_writer()([{"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in attrs.items()}}])


def _items() -> dict:
    from devstack.seed.offline import table_items

    return {(i["pk"]["S"], i["sk"]["S"]): {k: v["S"] for k, v in i.items()} for i in table_items()}


def test_a_forked_steps_changes_merge_with_those_made_meanwhile(aws, tmp_path):
    from devstack.seed.offline import fork_step, merge_forked

    _put("c#P#1", "PROFILE", segments="a", risk_score="0.1")
    _put("c#P#2", "RISK", risk_score="0.5")
    _put("c#P#3", "PROFILE", balance="5")

    def job():  # in the copy: scores change, an entry is removed, a model item appears
        _put("c#P#1", "PROFILE", segments="a", risk_score="0.9")
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends
        from moto.dynamodb.models.dynamo_type import DynamoType

        from chalicelib.config import settings

        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region].get_table(settings().table_name)
        table.delete_item(DynamoType({"S": "c#P#2"}), DynamoType({"S": "RISK"}))
        _put("c", "RISKMODEL#000001", version="1")
        return ["c"]

    pid, out = fork_step(tmp_path, "training", job)
    # meanwhile, here: another attribute of the same profile and another item change
    _put("c#P#1", "PROFILE", segments="a,b", risk_score="0.1")
    _put("c#P#3", "PROFILE", balance="7")
    done = merge_forked(pid, out)
    assert done["result"] == ["c"] and not out.exists()
    items = _items()
    assert items[("c#P#1", "PROFILE")] == {"pk": "c#P#1", "sk": "PROFILE", "segments": "a,b", "risk_score": "0.9"}
    assert ("c#P#2", "RISK") not in items
    assert items[("c", "RISKMODEL#000001")]["version"] == "1"
    assert items[("c#P#3", "PROFILE")]["balance"] == "7"

    # both changing one attribute differently is an error, not a silent choice
    pid, out = fork_step(tmp_path, "training", lambda: _put("c#P#3", "PROFILE", balance="9"))
    _put("c#P#3", "PROFILE", balance="8")
    with pytest.raises(RuntimeError, match="both changed balance"):
        merge_forked(pid, out)

    # a step that fails fails the build
    pid, out = fork_step(tmp_path, "training", lambda: 1 / 0)
    with pytest.raises(RuntimeError, match="failed"):
        merge_forked(pid, out)
