"""The support agreement as data (default.toml) and the pure rules that read it."""

from agreements.eligibility import Candidate, Capability, Eligibility, Exclusion, eligible_supporters, ranking_rule
from agreements.errors import AgreementError, InvalidQuestion, NoCoordinatorLeft
from agreements.fiscal import fiscal_year
from agreements.loader import DEFAULT_PATH, load_agreement
from agreements.models import (
    Agreement,
    Block,
    BlockRoles,
    CostPolicy,
    FiscalYear,
    Language,
    PartnerBlocks,
    Rotation,
    Secretariat,
    SecretariatFailover,
    Stages,
    SupportKind,
)
from agreements.roles import ActingCoordinator, ActingRoles, ActingSecretariat, acting_roles

__all__ = [
    "DEFAULT_PATH",
    "ActingCoordinator",
    "ActingRoles",
    "ActingSecretariat",
    "Agreement",
    "AgreementError",
    "Block",
    "BlockRoles",
    "Candidate",
    "Capability",
    "CostPolicy",
    "Eligibility",
    "Exclusion",
    "FiscalYear",
    "InvalidQuestion",
    "Language",
    "NoCoordinatorLeft",
    "PartnerBlocks",
    "Rotation",
    "Secretariat",
    "SecretariatFailover",
    "Stages",
    "SupportKind",
    "acting_roles",
    "eligible_supporters",
    "fiscal_year",
    "load_agreement",
    "ranking_rule",
]
