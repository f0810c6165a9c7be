"""Who may help with a need, computed for every association at once, is exactly may_help's rule."""

from __future__ import annotations

import pytest

from coordinator.disasters.models import Disaster
from coordinator.needs.policy import helpers, may_help
from coordinator.reference import current_agreement


def _members() -> list[str]:
    return [m for block in current_agreement().blocks for m in block.members]


@pytest.mark.parametrize("cross_block_open", [False, True])
@pytest.mark.parametrize("affected", [["pref_ishikawa"], ["pref_ishikawa", "pref_toyama", "city_niigata"],
                                      ["pref_kumamoto", "city_kumamoto", "pref_oita"]])
def test_helpers_are_the_associations_may_help_allows(cross_block_open: bool, affected: list[str]) -> None:
    disaster = Disaster(name="x", kind="earthquake", affected_associations=affected,
                        cross_block_open=cross_block_open)
    members = _members()
    assert set(affected) <= set(members)
    for requester in affected:
        expected = sorted(m for m in members if may_help(disaster, supporter_id=m, requester_id=requester))
        found = helpers(disaster, requester)
        assert found == expected
        assert requester not in found and not set(affected) & set(found)
        assert found  # some unaffected association of the block (or anywhere, when open) may always help


def test_an_association_outside_the_agreement_has_no_helpers() -> None:
    disaster = Disaster(name="x", kind="earthquake", affected_associations=["nowhere"], cross_block_open=True)
    assert helpers(disaster, "nowhere") == []
