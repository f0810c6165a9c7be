"""Acting coordinators and acting secretariat when associations are affected."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agreements
import geo
from agreements import Agreement, AgreementError, InvalidQuestion, NoCoordinatorLeft, acting_roles

FY2025, FY2026, FY2027 = date(2025, 10, 1), date(2026, 9, 1), date(2027, 4, 1)
ALL_IDS = tuple(a.id for a in geo.associations())


def in_prefectures(*codes: str) -> frozenset[str]:
    """Associations whose prefecture is one of these codes (a prefecture-level disaster)."""
    return frozenset(a.id for a in geo.associations() if a.prefecture_code in codes)


def test_no_disaster_everyone_designated(agreement: Agreement) -> None:
    roles = acting_roles(agreement, affected=(), on=FY2026)
    assert roles.fiscal_year == 2026
    assert {b: c.association_id for b, c in roles.coordinators.items()} == {
        b: r.coordinator for b, r in agreement.fiscal_years[2026].blocks.items()}
    assert not any(c.is_deputy or c.skipped for c in roles.coordinators.values())
    assert roles.secretariat.id == "clair" and not roles.secretariat.is_failover


def test_noto_fy2026_coordinators_unchanged(agreement: Agreement) -> None:
    roles = acting_roles(agreement, affected={"pref_ishikawa"}, on=FY2026, affected_prefectures={"17"})
    assert agreement.fiscal_years[2026].blocks["tokai_hokuriku"].coordinator != "pref_ishikawa"
    assert roles.coordinators["tokai_hokuriku"].association_id == "pref_aichi"
    assert all(c.basis == "coordinator" for c in roles.coordinators.values())
    assert roles.secretariat.id == "clair"


def test_noto_fy2027_ishikawa_coordinator_replaced_by_deputy(agreement: Agreement) -> None:
    roles = acting_roles(agreement, affected={"pref_ishikawa"}, on=FY2027, affected_prefectures={"17"})
    acting = roles.coordinators["tokai_hokuriku"]
    assert (acting.association_id, acting.is_deputy, acting.basis) == ("pref_aichi", True, "deputy")
    assert acting.skipped == ("pref_ishikawa",)
    assert "pref_ishikawa" in acting.reason_en and "副幹事" in acting.reason_ja
    assert roles.coordinators["kinki"].association_id == "pref_kyoto"


def test_kumamoto_fy2025_coordinator_replaced(agreement: Agreement) -> None:
    roles = acting_roles(agreement, affected={"pref_kumamoto", "city_kumamoto"}, on=FY2025,
                         affected_prefectures={"43"})
    assert roles.coordinators["kyushu"].association_id == "pref_fukuoka"
    assert roles.coordinators["kyushu"].skipped == ("pref_kumamoto",)


def test_tokyo_inland_secretariat_and_kanto_fail_over(agreement: Agreement) -> None:
    affected = in_prefectures("11", "12", "13", "14")
    roles = acting_roles(agreement, affected=affected, on=FY2026, affected_prefectures=["11", "12", "13", "14"])
    kanto = roles.coordinators["kanto"]
    assert kanto.association_id == "pref_tochigi"
    assert kanto.association_id not in affected
    assert geo.association(kanto.association_id).prefecture_code not in {"11", "12", "13", "14"}
    assert kanto.skipped == ("pref_tokyo", "pref_kanagawa")
    assert (kanto.is_deputy, kanto.basis) == (True, "deputy")
    secretariat = roles.secretariat
    assert secretariat.is_failover
    assert secretariat.id == roles.coordinators["kinki"].association_id == "pref_osaka"
    assert "prefecture 13" in secretariat.reason_en and "事務局" in secretariat.reason_ja


def test_secretariat_fails_over_when_clair_itself_is_affected(agreement: Agreement) -> None:
    roles = acting_roles(agreement, affected={"clair"}, on=FY2026)
    assert roles.secretariat.is_failover and roles.secretariat.id == "pref_osaka"
    assert "clair is affected" in roles.secretariat.reason_en


def test_secretariat_skips_a_failover_block_whose_coordinator_is_affected(agreement: Agreement) -> None:
    affected = in_prefectures("13") | {"pref_osaka"}
    roles = acting_roles(agreement, affected=affected, on=FY2026, affected_prefectures=["13"])
    # pref_osaka is affected, so kinki's acting coordinator is its first deputy, who becomes secretariat.
    assert roles.coordinators["kinki"].association_id == "pref_kyoto"
    assert roles.secretariat.id == "pref_kyoto"


def test_all_deputies_affected_nearest_member_acts(agreement: Agreement) -> None:
    listed = {"pref_tokyo", "pref_kanagawa", "pref_tochigi", "pref_nagano"}
    roles = acting_roles(agreement, affected=listed, on=FY2026)
    acting = roles.coordinators["kanto"]
    candidates = [m for m in agreement.block("kanto").members if m not in listed]
    nearest = min(candidates, key=lambda m: (geo.association_distance_km("pref_tokyo", m), m))
    assert acting.association_id == nearest
    assert acting.basis == "nearest_member" and acting.is_deputy
    assert acting.skipped == ("pref_tokyo", "pref_kanagawa", "pref_tochigi", "pref_nagano")


def test_whole_block_affected_partner_block_coordinates(agreement: Agreement) -> None:
    kinki = frozenset(agreement.block("kinki").members)
    roles = acting_roles(agreement, affected=kinki, on=FY2026)
    acting = roles.coordinators["kinki"]
    assert acting.association_id == roles.coordinators["tokai_hokuriku"].association_id == "pref_aichi"
    assert acting.basis == "partner_block"
    assert "partner block no. 1" in acting.reason_en and "Tokai and Hokuriku" in acting.reason_en


def test_block_and_partners_affected_nearest_block_coordinates(agreement: Agreement) -> None:
    affected = frozenset(agreement.block("kyushu").members) | frozenset(agreement.block("chugoku_shikoku").members)
    roles = acting_roles(agreement, affected=affected, on=FY2026)
    acting = roles.coordinators["kyushu"]
    assert acting.basis == "other_block"
    own = [roles.coordinators[b].association_id for b in ("hokkaido_tohoku", "kanto", "tokai_hokuriku", "kinki")]
    assert acting.association_id == min(own, key=lambda a: geo.association_distance_km("pref_fukuoka", a))
    assert roles.coordinators["chugoku_shikoku"].association_id == roles.coordinators["kinki"].association_id


def test_nobody_left(agreement: Agreement) -> None:
    with pytest.raises(NoCoordinatorLeft) as caught:
        acting_roles(agreement, affected=ALL_IDS, on=FY2026)
    assert isinstance(caught.value, AgreementError)
    assert caught.value.key.startswith("fiscal_years.2026.blocks.")
    assert "nobody is left" in caught.value.problem and caught.value.problem_ja


def test_fiscal_year_missing_from_the_agreement(agreement: Agreement) -> None:
    with pytest.raises(AgreementError) as caught:
        acting_roles(agreement, affected=(), on=date(2030, 5, 1))
    assert caught.value.key == "fiscal_years.2030"
    assert "2025, 2026, 2027" in caught.value.problem


def test_fiscal_year_boundary_switches_rotation(agreement: Agreement) -> None:
    before = acting_roles(agreement, affected=(), on=date(2026, 3, 31))
    after = acting_roles(agreement, affected=(), on=date(2026, 4, 1))
    assert before.coordinators["kanto"].association_id == "pref_kanagawa"
    assert after.coordinators["kanto"].association_id == "pref_tokyo"


def test_unknown_affected_id(agreement: Agreement) -> None:
    with pytest.raises(InvalidQuestion) as caught:
        acting_roles(agreement, affected={"pref_atlantis"}, on=FY2026)
    assert caught.value.key == "affected" and "pref_atlantis" in str(caught.value)


@settings(max_examples=60, deadline=None)
@given(affected=st.frozensets(st.sampled_from(ALL_IDS), max_size=62),
       on=st.sampled_from([FY2025, FY2026, FY2027]))
def test_acting_coordinators_are_never_affected(affected: frozenset[str], on: date) -> None:
    agreement = agreements.load_agreement()
    roles = acting_roles(agreement, affected=affected, on=on)
    for block_id, acting in roles.coordinators.items():
        assert acting.association_id not in affected
        own_block = agreement.block_of(acting.association_id).id == block_id
        assert own_block == (acting.basis in {"coordinator", "deputy", "nearest_member"})
        assert set(acting.skipped) <= affected
    assert roles.secretariat.id == "clair"
