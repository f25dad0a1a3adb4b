"""What store/ hands out and takes: records in the clinic's words, never a PynamoDB item. No function
of a store module that services, jobs, channels or api call names a model (an `*Item` class, a
pynamodb Model or MapAttribute subclass, or an alias of one) in its return annotation or a
parameter, and no record class they use has a field typed by one. Records and items meet in the
store's private converters (`_x_of(item)`, `_x_item(record)`) and in the building blocks that only
other store modules call (`plan.put(item, ...)`, `ledger.ledger_item`): the test finds who calls
what by reading the imports and attribute uses of every file above store/."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest
from pynamodb.attributes import MapAttribute
from pynamodb.models import Model

from chalicelib.store import models

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "chalicelib" / "store"
MODULES = sorted(p.stem for p in STORE.glob("*.py") if p.stem not in ("__init__", "models"))

MODEL_NAMES = {name for name, value in vars(models).items()
               if inspect.isclass(value) and issubclass(value, (Model, MapAttribute))}


def _is_model(value: object) -> bool:
    return inspect.isclass(value) and issubclass(value, (Model, MapAttribute))


def _names(annotation: ast.expr | None) -> set[str]:
    """The bare and dotted names an annotation mentions (`list[PatientItem] | None` -> PatientItem)."""
    if annotation is None:
        return set()
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = ast.parse(annotation.value, mode="eval").body
    found = set()
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
    return found


def _model_names(names: set[str], namespace: dict[str, object]) -> list[str]:
    """Those of `names` that are models: by what the module binds them to (an alias such as
    `Patient = PatientItem` counts), or by the models' own names when bound only for type checking."""
    return sorted(name for name in names if _is_model(namespace.get(name)) or name in MODEL_NAMES
                  or (name.endswith("Item") and name not in namespace))


def offenders(tree: ast.Module, namespace: dict[str, object]) -> list[str]:
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            args = node.args
            params = [*args.posonlyargs, *args.args, *args.kwonlyargs, *filter(None, (args.vararg, args.kwarg))]
            for arg in params:
                for name in _model_names(_names(arg.annotation), namespace):
                    found.append(f"{node.name}({arg.arg}: {name})")
            for name in _model_names(_names(node.returns), namespace):
                found.append(f"{node.name} -> {name}")
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_") and not _is_model(namespace.get(node.name)):
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    for name in _model_names(_names(stmt.annotation), namespace):
                        found.append(f"{node.name}.{stmt.target.id}: {name}")
    return found


ABOVE = [*sorted(path for layer in ("services", "jobs", "channels", "api") for path in (ROOT / "chalicelib" / layer).glob("*.py")),
         ROOT / "app.py"]


def uses_above(files: list[Path]) -> dict[str, set[str]]:
    """Per store module, the names that files above store/ take from it: `from chalicelib.store.m
    import name`, and `alias.name` where `alias` is bound to `chalicelib.store.m`."""
    used: dict[str, set[str]] = {}
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "chalicelib.store":
                for alias in node.names:
                    aliases[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chalicelib.store."):
                module = node.module.rsplit(".", 1)[1]
                used.setdefault(module, set()).update(alias.name for alias in node.names)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("chalicelib.store.") and alias.asname:
                        aliases[alias.asname] = alias.name.rsplit(".", 1)[1]
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                used.setdefault(aliases[node.value.id], set()).add(node.attr)
    return used


USED = uses_above(ABOVE)


# A plan's step carries the item it writes; services only collect steps and hand them to plan.execute.
OPAQUE = {"plan": {"Step"}}


def _crossing(module: str) -> list[str]:
    path = STORE / f"{module}.py"
    tree = ast.parse(path.read_text(), str(path))
    namespace = vars(importlib.import_module(f"chalicelib.store.{module}"))
    used = USED.get(module, set()) - OPAQUE.get(module, set())
    return [entry for entry in offenders(tree, namespace) if re.split(r"[ (.]", entry, maxsplit=1)[0] in used]


@pytest.mark.parametrize("module", MODULES)
def test_store_hands_out_and_takes_records_not_items(module):
    found = _crossing(module)
    assert not found, f"chalicelib/store/{module}.py hands services, jobs, channels or api PynamoDB items: {found}"


def test_the_check_catches_items_aliases_and_record_fields():
    sample = ast.parse(
        "Patient = PatientItem\n"
        "def get(clinic_id: str) -> Patient: ...\n"
        "def due(clinic_id: str) -> list[LotItem] | None: ...\n"
        "def take(lot: 'ExposureItem', n: int) -> int: ...\n"
        "def _of(item: PatientItem) -> int: ...\n"
        "class Referral:\n    referrer: ClinicItem\n    points: int\n"
    )
    namespace = {"Patient": models.PatientItem, "ClinicItem": models.ClinicItem}
    assert offenders(sample, namespace) == [
        "get -> Patient", "due -> LotItem", "take(lot: ExposureItem)", "Referral.referrer: ClinicItem"]


def test_the_check_sees_who_calls_what(tmp_path):
    service = tmp_path / "service.py"
    service.write_text("from chalicelib.store import plan as plans, clinics\nfrom chalicelib.store.lots import due_lots\n"
                       "def f():\n    import chalicelib.store.segments as segs\n    segs.get(1)\n"
                       "    plans.execute(clinics.get(2))\n")
    assert uses_above([service]) == {"plan": {"execute"}, "clinics": {"get"}, "lots": {"due_lots"}, "segments": {"get"}}


KEY_ATTRIBUTES = {"pk", "sk", "gsi1pk", "gsi1sk", "due_pk", "due_sk"}


def _record_pairs():
    from chalicelib.store import experiments, records, segments

    return [(models.PatientItem, records.Patient, set()), (models.ClinicItem, records.Clinic, {"clinic_id"}),
            (models.RecallJobItem, records.RecallJob, {"clinic_id", "job_id", "due_sort"}),
            (models.SegmentItem, segments.Segment, {"clinic_id"}),
            (models.ExperimentItem, experiments.Experiment, {"clinic_id"}),
            (models.ExposureItem, experiments.Exposure, {"clinic_id"})]


@pytest.mark.parametrize("item_class, record_class, derived", _record_pairs(),
                         ids=lambda value: getattr(value, "__name__", ""))
def test_records_keep_every_attribute_of_their_item(item_class, record_class, derived):
    """An attribute added to an item and not to its record would be dropped on every read."""
    from dataclasses import fields, is_dataclass

    stored = set(item_class.get_attributes()) - KEY_ATTRIBUTES
    kept = {f.name for f in fields(record_class)} if is_dataclass(record_class) else set(record_class._fields)
    assert stored == kept - derived, (sorted(stored - kept), sorted(kept - derived - stored))


def test_a_patient_record_survives_its_item():
    from chalicelib.store.records import Patient, patient_item, patient_of

    patient = Patient(clinic_id="c1", patient_id="p1", name_enc="n", phone_enc="t", phone_hash="h", name_masked="张*",
                      created_at="2026-11-20T00:00:00Z", birth_year=1980, conditions=["eczema"],
                      consents={"service": {"granted": True, "version": "v1", "at": "2026-11-20T00:00:00Z"}},
                      balance=12, segments={"s1"}, seg_version=2, risk_score=0.25, joined_challenges={"ch"})
    item = patient_item(patient)
    assert (item.pk, item.sk, item.gsi1pk) == ("c1#P#p1", "PROFILE", "c1#PATIENTS")
    assert patient_of(item) == patient
