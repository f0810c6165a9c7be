"""The reference gateway (issue 13 item 3): its own package, typed answers, the one way domains read it."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

from agreements import Agreement
from coordinator import reference
from geo.area import AffectedArea
from geo.associations import Association
from geo.municipalities import Municipality
from tests.conftest import ROOT


def test_every_answer_is_typed_not_any() -> None:
    expected = {"current_agreement": Agreement, "resolve_area": AffectedArea,
                "association_or_none": Association | None, "municipality_or_none": Municipality | None,
                "all_association_ids": list[str], "block_of": str | None}
    for name, answer in expected.items():
        assert typing.get_type_hints(getattr(reference, name))["return"] == answer, name


def test_answers_are_the_reference_objects() -> None:
    assert isinstance(reference.current_agreement(), Agreement)
    some_id = reference.all_association_ids()[0]
    found = reference.association_or_none(some_id)
    assert isinstance(found, Association) and found.id == some_id
    assert reference.association_or_none("no-such-association") is None
    assert isinstance(reference.municipality_or_none("17204"), Municipality)
    assert reference.municipality_or_none("99999") is None
    assert reference.block_of(some_id) in {b.id for b in reference.current_agreement().blocks}
    assert isinstance(reference.resolve_area(prefectures=["17"]), AffectedArea)


def test_no_domain_reads_reference_through_disasters() -> None:
    assert not (ROOT / "coordinator/disasters/reference.py").exists()
    old_home = "coordinator.disasters" + ".reference"
    for path in [*Path(ROOT, "coordinator").rglob("*.py"), *Path(ROOT, "tests").rglob("*.py")]:
        assert old_home not in path.read_text(encoding="utf-8"), path
    assert inspect.getmodule(reference.current_agreement) is reference
